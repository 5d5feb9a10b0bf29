// Pure helpers: units, numbers, months, subtotals, flag wording, download URLs.
// No DOM and no Home Assistant here: everything is unit tested (test/format.test.ts).

export interface UnitSystem {
  length?: string;
  temperature?: string;
}

export interface Units {
  /** "km" or "mi" */
  distance: "km" | "mi";
  /** "°C" or "°F" */
  temperature: "°C" | "°F";
}

export const KM_PER_MILE = 1.609344;

export function unitsOf(system: UnitSystem | undefined): Units {
  return {
    distance: system?.length === "mi" ? "mi" : "km",
    temperature: system?.temperature === "°F" ? "°F" : "°C",
  };
}

/** A number from the API (Decimals arrive as strings); null when absent or junk. */
export function num(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

export function distance(km: unknown, units: Units): number | null {
  const value = num(km);
  if (value === null) return null;
  return units.distance === "mi" ? value / KM_PER_MILE : value;
}

/** Efficiency from Wh/km to Wh per the user's distance unit. */
export function efficiency(whPerKm: unknown, units: Units): number | null {
  const value = num(whPerKm);
  if (value === null) return null;
  return units.distance === "mi" ? value * KM_PER_MILE : value;
}

export function temperature(celsius: unknown, units: Units): number | null {
  const value = num(celsius);
  if (value === null) return null;
  return units.temperature === "°F" ? (value * 9) / 5 + 32 : value;
}

export function fmtNumber(
  value: number | null,
  digits: number,
  locale?: string,
): string {
  if (value === null) return "—";
  return new Intl.NumberFormat(locale, {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value);
}

export function fmtMoney(
  value: unknown,
  currency: string | null | undefined,
  locale?: string,
): string {
  const amount = num(value);
  if (amount === null) return "—";
  if (!currency) return fmtNumber(amount, 2, locale);
  try {
    return new Intl.NumberFormat(locale, { style: "currency", currency }).format(
      amount,
    );
  } catch {
    return `${fmtNumber(amount, 2, locale)} ${currency}`;
  }
}

export function fmtDuration(seconds: unknown): string {
  const value = num(seconds);
  if (value === null) return "—";
  const minutes = Math.round(value / 60);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h ? `${h} h ${String(m).padStart(2, "0")} min` : `${m} min`;
}

/** Offset of a time zone from UTC at an instant, in milliseconds. */
export function zoneOffset(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(instant));
  const get = (type: string): number =>
    Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour") % 24,
    get("minute"),
    get("second"),
  );
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** Local midnight of a day in a time zone, as a UTC instant. */
export function zonedMidnight(
  year: number,
  month: number,
  day: number,
  timeZone: string,
): Date {
  const guess = Date.UTC(year, month - 1, day);
  let instant = guess - zoneOffset(guess, timeZone);
  instant = guess - zoneOffset(instant, timeZone);
  return new Date(instant);
}

/** The period [start, end) of a month "YYYY-MM" in a time zone, as ISO strings. */
export function monthRange(
  month: string,
  timeZone: string,
): { start: string; end: string } | null {
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  if (!match) return null;
  const year = Number(match[1]);
  const m = Number(match[2]);
  if (m < 1 || m > 12) return null;
  const next = m === 12 ? [year + 1, 1] : [year, m + 1];
  return {
    start: zonedMidnight(year, m, 1, timeZone).toISOString(),
    end: zonedMidnight(next[0], next[1], 1, timeZone).toISOString(),
  };
}

/** The months [this month - (count - 1), next month) in a time zone, as ISO strings. */
export function recentMonths(
  now: Date,
  count: number,
  timeZone: string,
): { start: string; end: string } {
  const [year, month] = monthOf(now.toISOString(), timeZone).split("-").map(Number);
  const first = new Date(Date.UTC(year, month - count, 1));
  const next = new Date(Date.UTC(year, month, 1));
  return {
    start: zonedMidnight(first.getUTCFullYear(), first.getUTCMonth() + 1, 1, timeZone).toISOString(),
    end: zonedMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, 1, timeZone).toISOString(),
  };
}

/** The month "YYYY-MM" an ISO instant falls in, in a time zone. */
export function monthOf(iso: string, timeZone: string): string {
  const instant = Date.parse(iso);
  if (Number.isNaN(instant)) return "";
  const local = new Date(instant + zoneOffset(instant, timeZone));
  return `${local.getUTCFullYear()}-${String(local.getUTCMonth() + 1).padStart(2, "0")}`;
}

export function fmtMonth(month: string, locale?: string): string {
  const match = /^(\d{4})-(\d{2})/.exec(month);
  if (!match) return month;
  return new Intl.DateTimeFormat(locale, {
    year: "numeric",
    month: "long",
    timeZone: "UTC",
  }).format(new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1)));
}

export function fmtTime(
  iso: string | null | undefined,
  timeZone: string,
  locale?: string,
): string {
  if (!iso) return "—";
  const instant = Date.parse(iso);
  if (Number.isNaN(instant)) return "—";
  return new Intl.DateTimeFormat(locale, {
    timeZone,
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  }).format(new Date(instant));
}

export interface Subtotal {
  month: string;
  count: number;
  energyKwh: number;
  cost: number;
  distanceKm: number;
  currencies: string[];
}

export interface GroupedRows<T> {
  month: string;
  rows: T[];
  subtotal: Subtotal;
}

interface RecordLike {
  started_at?: string | null;
  energy_kwh?: unknown;
  cost?: unknown;
  currency?: string | null;
  distance_km?: unknown;
}

/** Rows (newest first) grouped by month in a time zone, each with its subtotal. */
export function groupByMonth<T extends RecordLike>(
  rows: T[],
  timeZone: string,
): GroupedRows<T>[] {
  const groups: GroupedRows<T>[] = [];
  for (const row of rows) {
    const month = row.started_at ? monthOf(row.started_at, timeZone) : "";
    let group = groups[groups.length - 1];
    if (!group || group.month !== month) {
      group = {
        month,
        rows: [],
        subtotal: {
          month,
          count: 0,
          energyKwh: 0,
          cost: 0,
          distanceKm: 0,
          currencies: [],
        },
      };
      groups.push(group);
    }
    group.rows.push(row);
    const total = group.subtotal;
    total.count += 1;
    total.energyKwh += num(row.energy_kwh) ?? 0;
    total.cost += num(row.cost) ?? 0;
    total.distanceKm += num(row.distance_km) ?? 0;
    if (row.currency && !total.currencies.includes(row.currency)) {
      total.currencies.push(row.currency);
    }
  }
  return groups;
}

export const FLAG_WORDING: Record<string, string> = {
  gap: "A source was unavailable during the record: part of it is estimated.",
  inferred: "Inferred across a gap in the data, not observed directly.",
  counter_reset: "An energy counter reset during the session; the energy was stitched.",
  evse_mismatch: "The car's and the wallbox's energy disagree.",
  capacity_estimated: "Uses a learned or default battery capacity.",
  site_gap: "The energy site's data is incomplete: no solar attribution.",
  price_gap: "No price was known for part of the energy.",
  restored: "Continued across a Home Assistant restart.",
  energy_unknown: "No method could measure the energy.",
};

export function flagWording(flag: string): string {
  return FLAG_WORDING[flag] ?? `Flag “${flag.replace(/_/g, " ")}”.`;
}

export interface DownloadFilters {
  vehicle?: string | null;
  start?: string | null;
  end?: string | null;
  location?: string | null;
}

/** The authenticated CSV view's path for a ledger, with the filters set. */
export function csvUrl(
  entryId: string,
  kind: "sessions" | "trips",
  filters: DownloadFilters = {},
): string {
  const query = new URLSearchParams();
  for (const key of ["vehicle", "start", "end", "location"] as const) {
    const value = filters[key];
    if (value) query.set(key, value);
  }
  const text = query.toString();
  return `/api/ev_ledger/${encodeURIComponent(entryId)}/${kind}.csv${text ? `?${text}` : ""}`;
}

/** Filename from a Content-Disposition header, else a default. */
export function filenameOf(disposition: string | null, fallback: string): string {
  const match = /filename="?([^";]+)"?/.exec(disposition ?? "");
  return match ? match[1] : fallback;
}

export interface Point {
  x: number;
  y: number;
}

/** An SVG path through points scaled into a box (x and y ranges given). */
export function svgPath(
  points: Point[],
  box: { width: number; height: number },
  xRange: [number, number],
  yRange: [number, number],
  step = false,
): string {
  const [x0, x1] = xRange;
  const [y0, y1] = yRange;
  const sx = x1 > x0 ? box.width / (x1 - x0) : 0;
  const sy = y1 > y0 ? box.height / (y1 - y0) : 0;
  return points
    .map((p, i) => {
      const x = (p.x - x0) * sx;
      const y = box.height - (p.y - y0) * sy;
      // A step holds the last reading until the next one (a charger's power).
      if (step && i) return `H${x.toFixed(1)} V${y.toFixed(1)}`;
      return `${i ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(" ");
}

/** A range covering the values (a unit range for none or one value). */
export function extent(values: number[]): [number, number] {
  if (!values.length) return [0, 1];
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (low === high) {
    low -= 0.5;
    high += 0.5;
  }
  return [low, high];
}

export interface PlaceTotal {
  name: string;
  latitude: number;
  longitude: number;
  energyKwh: number;
  sessions: number;
}

interface PlaceRow {
  latitude?: unknown;
  longitude?: unknown;
  energy_kwh?: unknown;
  location_override?: string | null;
  location_name?: string | null;
  zone?: string | null;
  place_name?: string | null;
}

/** The place a session is shown at: the server's name for it (the user's correction,
 * the configured location's name, the zone's), else what was recorded. */
export function placeName(row: PlaceRow): string {
  return (
    row.place_name || row.location_override || row.location_name || row.zone || "Unknown place"
  );
}

/** A trip's start and end, by their names. */
export function tripEnds(row: {
  start_zone?: string | null;
  end_zone?: string | null;
  start_place_name?: string | null;
  end_place_name?: string | null;
}): string {
  const start = row.start_place_name || row.start_zone || "?";
  const end = row.end_place_name || row.end_zone || "?";
  return `${start} → ${end}`;
}

/** Sessions with coordinates grouped by place (name and ~100 m), energy summed. */
export function placesOf(rows: PlaceRow[]): PlaceTotal[] {
  const places = new Map<string, PlaceTotal & { n: number }>();
  for (const row of rows) {
    const lat = num(row.latitude);
    const lon = num(row.longitude);
    if (lat === null || lon === null) continue;
    const named = row.place_name || row.location_override || row.location_name || row.zone;
    const name = named || `${lat.toFixed(3)}, ${lon.toFixed(3)}`;
    const key = `${name}|${lat.toFixed(3)}|${lon.toFixed(3)}`;
    const place = places.get(key) ?? {
      name,
      latitude: 0,
      longitude: 0,
      energyKwh: 0,
      sessions: 0,
      n: 0,
    };
    place.latitude = (place.latitude * place.n + lat) / (place.n + 1);
    place.longitude = (place.longitude * place.n + lon) / (place.n + 1);
    place.n += 1;
    place.sessions += 1;
    place.energyKwh += num(row.energy_kwh) ?? 0;
    places.set(key, place);
  }
  return [...places.values()]
    .map(({ n: _n, ...place }) => place)
    .sort((a, b) => b.energyKwh - a.energyKwh);
}

/** A stored tariff in words: "Home: fixed 0.30 EUR/kWh". */
export function describeTariff(tariff: Record<string, unknown> | null | undefined): string {
  if (!tariff) return "No tariff";
  const kind = String(tariff.kind ?? "unknown").replace(/_/g, " ");
  const name = tariff.name ? `${String(tariff.name)}: ` : "";
  const currency = tariff.currency ? ` ${String(tariff.currency)}/kWh` : "/kWh";
  const bands = Array.isArray(tariff.bands) ? (tariff.bands as { price?: unknown }[]) : [];
  const prices = bands.map((b) => num(b.price)).filter((p): p is number => p !== null);
  if (tariff.kind === "price_entity") {
    return `${name}${kind} (dynamic)${tariff.currency ? ` ${String(tariff.currency)}` : ""}`;
  }
  const price = num(tariff.price_per_kwh ?? tariff.price);
  if (prices.length) {
    const low = Math.min(...prices);
    const high = Math.max(...prices);
    return `${name}${kind} ${low === high ? low : `${low}–${high}`}${currency}`;
  }
  if (price !== null) return `${name}${kind} ${price}${currency}`;
  return `${name}${kind}`;
}

/** A session's cost in parts: "energy €5.39 + session fee €1.00". */
export function costBreakdown(
  session: {
    energy_cost?: unknown;
    time_cost?: unknown;
    session_fee?: unknown;
    idle_fee?: unknown;
    cost_override?: unknown;
  },
  currency: string | null | undefined,
  locale?: string,
): string {
  const parts: string[] = [];
  const add = (label: string, value: unknown): void => {
    const amount = num(value);
    if (amount) parts.push(`${label} ${fmtMoney(amount, currency, locale)}`);
  };
  add("energy", session.energy_cost);
  add("time", session.time_cost);
  add("session fee", session.session_fee);
  add("idle fee", session.idle_fee);
  let text = parts.join(" + ") || "—";
  if (num(session.cost_override) !== null) text += " (corrected by hand)";
  return text;
}

export interface MonthEfficiency {
  month: string;
  trips: number;
  distanceKm: number;
  /** Wh/km over the month's trips with energy, null without any. */
  whPerKm: number | null;
  /** Mean outside temperature (°C) of the trips that recorded it, else null. */
  outsideC: number | null;
}

interface TripLike {
  started_at?: string | null;
  distance_km?: unknown;
  energy_kwh?: unknown;
  outside_temp_c?: unknown;
}

/** Driving efficiency and mean outside temperature per local month, oldest first. */
export function monthlyEfficiency(trips: TripLike[], timeZone: string): MonthEfficiency[] {
  const months = new Map<string, { trips: number; km: number; kwhKm: number; kwh: number; temps: number[] }>();
  for (const trip of trips) {
    if (!trip.started_at) continue;
    const month = monthOf(trip.started_at, timeZone);
    const entry = months.get(month) ?? { trips: 0, km: 0, kwhKm: 0, kwh: 0, temps: [] };
    const km = num(trip.distance_km) ?? 0;
    const kwh = num(trip.energy_kwh);
    entry.trips += 1;
    entry.km += km;
    if (kwh !== null && km > 0) {
      entry.kwh += kwh;
      entry.kwhKm += km;
    }
    const temp = num(trip.outside_temp_c);
    if (temp !== null) entry.temps.push(temp);
    months.set(month, entry);
  }
  return [...months.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([month, e]) => ({
      month,
      trips: e.trips,
      distanceKm: e.km,
      whPerKm: e.kwhKm > 0 ? (e.kwh * 1000) / e.kwhKm : null,
      outsideC: e.temps.length ? e.temps.reduce((a, b) => a + b, 0) / e.temps.length : null,
    }));
}
