// Inline SVG charts: a charging curve, stacked monthly bars, a route, a place map.
// No chart library: the network may be closed and the bundle stays small.
import { svg, html, nothing, type TemplateResult } from "lit";
import { extent, num, svgPath, type Point, type PlaceTotal } from "./format";

const W = 600;
const H = 200;

function sampleTime(ts: unknown): number | null {
  const n = num(ts);
  if (n !== null) return n;
  if (typeof ts === "string") {
    const parsed = Date.parse(ts);
    return Number.isNaN(parsed) ? null : parsed / 1000;
  }
  return null;
}

export interface CurveSample {
  ts: string | number;
  role: string;
  value: unknown;
}

/** Points of one role, in time order. */
export function curvePoints(samples: CurveSample[], role: string): Point[] {
  const points: Point[] = [];
  for (const sample of samples) {
    if (sample.role !== role) continue;
    const x = sampleTime(sample.ts);
    const y = num(sample.value);
    if (x !== null && y !== null) points.push({ x, y });
  }
  return points.sort((a, b) => a.x - b.x);
}

/** The charging curve: power (kW, left) and battery level (%, right) over time. */
export function chargingCurve(
  samples: CurveSample[],
  formatTime: (seconds: number) => string,
): TemplateResult {
  const power = curvePoints(samples, "charger_power");
  const level = curvePoints(samples, "battery_level");
  if (!power.length && !level.length) {
    return html`<p class="muted">No samples recorded for this session's curve.</p>`;
  }
  const xs = extent([...power, ...level].map((p) => p.x));
  const powerRange: [number, number] = [0, Math.max(1, ...power.map((p) => p.y))];
  const levelRange: [number, number] = [0, 100];
  const box = { width: W, height: H };
  return html`<figure class="chart">
    <svg viewBox="-64 -10 ${W + 110} ${H + 30}" role="img" aria-label="Charging curve">
      <line x1="0" y1=${H} x2=${W} y2=${H} class="axis"></line>
      <text x="-6" y="4" class="tick" text-anchor="end">${powerRange[1].toFixed(1)} kW</text>
      <text x="-6" y=${H} class="tick" text-anchor="end">0</text>
      <text x=${W + 6} y="4" class="tick">100 %</text>
      <text x="0" y=${H + 18} class="tick">${formatTime(xs[0])}</text>
      <text x=${W} y=${H + 18} class="tick" text-anchor="end">${formatTime(xs[1])}</text>
      ${power.length
        ? svg`<path class="curve curve-power" d=${svgPath(power, box, xs, powerRange, true)}></path>`
        : nothing}
      ${level.length
        ? svg`<path class="curve curve-level" d=${svgPath(level, box, xs, levelRange)}></path>`
        : nothing}
    </svg>
    <figcaption>
      <span class="key power"></span> Power (kW) <span class="key level"></span> Battery
      level (%)
    </figcaption>
  </figure>`;
}

export interface BarSeries {
  label: string;
  className: string;
  values: number[];
}

/** Stacked bars per label (months), the series stacked bottom up. */
export function stackedBars(
  labels: string[],
  series: BarSeries[],
  unit: string,
  ariaLabel: string,
): TemplateResult {
  if (!labels.length) return html`<p class="muted">No data yet.</p>`;
  const totals = labels.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] || 0), 0));
  const top = Math.max(1e-9, ...totals);
  const slot = W / labels.length;
  const bar = Math.max(4, slot * 0.6);
  return html`<figure class="chart">
    <svg viewBox="-70 -10 ${W + 80} ${H + 40}" role="img" aria-label=${ariaLabel}>
      <line x1="0" y1=${H} x2=${W} y2=${H} class="axis"></line>
      <text x="-6" y="4" class="tick" text-anchor="end">${top.toFixed(top < 10 ? 1 : 0)} ${unit}</text>
      ${labels.map((label, i) => {
        let y = H;
        const x = i * slot + (slot - bar) / 2;
        return svg`<g>
          ${series.map((s) => {
            const h = ((s.values[i] || 0) / top) * H;
            y -= h;
            return h > 0
              ? svg`<rect class="bar ${s.className}" x=${x} y=${y} width=${bar} height=${h}><title>${label}: ${s.label} ${(s.values[i] || 0).toFixed(1)} ${unit}</title></rect>`
              : nothing;
          })}
          <text x=${x + bar / 2} y=${H + 16} class="tick" text-anchor="middle">${label}</text>
        </g>`;
      })}
    </svg>
    <figcaption>
      ${series.map(
        (s) => html`<span class="legend"><span class="key ${s.className}"></span> ${s.label}</span> `,
      )}
    </figcaption>
  </figure>`;
}

/** Project latitude/longitude into a box (equirectangular, scaled by the latitude). */
export function project(
  coords: [number, number][],
  width: number,
  height: number,
  pad = 20,
): Point[] {
  if (!coords.length) return [];
  const lats = coords.map((c) => c[0]);
  const lons = coords.map((c) => c[1]);
  const [lat0, lat1] = extent(lats);
  const [lon0, lon1] = extent(lons);
  const k = Math.cos((((lat0 + lat1) / 2) * Math.PI) / 180);
  const spanX = (lon1 - lon0) * k;
  const spanY = lat1 - lat0;
  const scale = Math.min((width - 2 * pad) / spanX, (height - 2 * pad) / spanY);
  const offX = (width - spanX * scale) / 2;
  const offY = (height - spanY * scale) / 2;
  return coords.map(([lat, lon]) => ({
    x: offX + (lon - lon0) * k * scale,
    y: height - offY - (lat - lat0) * scale,
  }));
}

export function routeMap(route: [unknown, number, number][]): TemplateResult {
  const coords = route
    .map((p) => [num(p[1]), num(p[2])] as [number | null, number | null])
    .filter((c): c is [number, number] => c[0] !== null && c[1] !== null);
  if (coords.length < 2) {
    return html`<p class="muted">No route: no coordinates were recorded during this trip.</p>`;
  }
  const points = project(coords, W, 300);
  const d = points.map((p, i) => `${i ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
  const first = points[0];
  const last = points[points.length - 1];
  return html`<figure class="chart">
    <svg viewBox="0 0 ${W} 300" role="img" aria-label="Route">
      <path class="route" d=${d}></path>
      <circle class="start" cx=${first.x} cy=${first.y} r="6"></circle>
      <circle class="end" cx=${last.x} cy=${last.y} r="6"></circle>
    </svg>
    <figcaption><span class="key start"></span> start <span class="key end"></span> end</figcaption>
  </figure>`;
}

export type Place = PlaceTotal;
export function placeMap(places: Place[]): TemplateResult {
  if (!places.length) {
    return html`<p class="muted">No charging sessions with coordinates in this selection.</p>`;
  }
  const points = project(
    places.map((p) => [p.latitude, p.longitude]),
    W,
    360,
    50,
  );
  const top = Math.max(...places.map((p) => p.energyKwh), 1e-9);
  return html`<figure class="chart">
    <svg viewBox="0 0 ${W} 360" role="img" aria-label="Charging locations">
      ${places.map((place, i) => {
        const r = 6 + 34 * Math.sqrt(place.energyKwh / top);
        return svg`<g class="place">
          <circle cx=${points[i].x} cy=${points[i].y} r=${r}><title>${place.name}: ${place.energyKwh.toFixed(1)} kWh in ${place.sessions} sessions</title></circle>
          <text x=${points[i].x} y=${points[i].y - r - 4} text-anchor="middle" class="tick">${place.name}</text>
        </g>`;
      })}
    </svg>
    <figcaption>Circles sized by the energy charged there.</figcaption>
  </figure>`;
}

export interface ScatterPoint {
  x: number;
  y: number;
  label: string;
}

/** Labelled points on two axes (e.g. efficiency against outside temperature). */
export function scatter(points: ScatterPoint[], xUnit: string, yUnit: string, ariaLabel: string): TemplateResult {
  if (!points.length) return html`<p class="muted">No trips with both figures yet.</p>`;
  const [x0, x1] = extent(points.map((p) => p.x));
  const [y0, y1] = extent(points.map((p) => p.y));
  const sx = (x: number): number => ((x - x0) / (x1 - x0)) * (W - 40) + 20;
  const sy = (y: number): number => H - 20 - ((y - y0) / (y1 - y0)) * (H - 40);
  return html`<figure class="chart">
    <svg viewBox="-70 -10 ${W + 80} ${H + 40}" role="img" aria-label=${ariaLabel}>
      <line x1="0" y1=${H} x2=${W} y2=${H} class="axis"></line>
      <line x1="0" y1="0" x2="0" y2=${H} class="axis"></line>
      <text x="-6" y="24" class="tick" text-anchor="end">${y1.toFixed(0)} ${yUnit}</text>
      <text x="-6" y=${H - 16} class="tick" text-anchor="end">${y0.toFixed(0)}</text>
      <text x="20" y=${H + 16} class="tick">${x0.toFixed(1)} ${xUnit}</text>
      <text x=${W - 20} y=${H + 16} class="tick" text-anchor="end">${x1.toFixed(1)} ${xUnit}</text>
      ${points.map(
        (p) => svg`<g class="point">
          <circle class="dot" cx=${sx(p.x)} cy=${sy(p.y)} r="6"><title>${p.label}: ${p.y.toFixed(0)} ${yUnit} at ${p.x.toFixed(1)} ${xUnit}</title></circle>
          <text x=${sx(p.x)} y=${sy(p.y) - 10} class="tick" text-anchor="middle">${p.label}</text>
        </g>`,
      )}
    </svg>
    <figcaption>Each month's driving efficiency against its mean outside temperature.</figcaption>
  </figure>`;
}
