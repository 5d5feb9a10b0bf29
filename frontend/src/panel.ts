// The sidebar panel "EV Ledger": sessions, trips, charts and a map of one ledger.
import { LitElement, css, html, nothing, type TemplateResult } from "lit";
import {
  PAGE_SIZE,
  deleteSession,
  getSession,
  getSummary,
  getTrip,
  ledgerEntries,
  ledgerVehicles,
  listRecords,
  updateSession,
  type Hass,
  type LedgerEntry,
  type MonthTotals,
  type SessionDetail,
  type SessionRow,
  type Summary,
  type TripDetail,
  type TripRow,
  type Vehicle,
} from "./api";
import { chargingCurve, placeMap, routeMap, scatter, stackedBars } from "./charts";
import {
  costBreakdown,
  csvUrl,
  describeTariff,
  distance,
  efficiency,
  filenameOf,
  flagWording,
  fmtDuration,
  fmtMoney,
  fmtMonth,
  fmtNumber,
  fmtTime,
  groupByMonth,
  monthOf,
  monthRange,
  monthlyEfficiency,
  num,
  placeName,
  tripEnds,
  placesOf,
  recentMonths,
  temperature,
  unitsOf,
  type Subtotal,
  type Units,
} from "./format";
import { shared } from "./styles";

type Tab = "sessions" | "trips" | "charts" | "map";
const TABS: [Tab, string][] = [
  ["sessions", "Sessions"],
  ["trips", "Trips"],
  ["charts", "Charts"],
  ["map", "Map"],
];

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

export class EvLedgerPanel extends LitElement {
  static override properties = {
    hass: { attribute: false },
    narrow: { type: Boolean },
    route: { attribute: false },
    panel: { attribute: false },
    _entries: { state: true },
    _entryId: { state: true },
    _vehicles: { state: true },
    _tab: { state: true },
    _vehicle: { state: true },
    _month: { state: true },
    _offset: { state: true },
    _sessions: { state: true },
    _trips: { state: true },
    _total: { state: true },
    _hasMore: { state: true },
    _loading: { state: true },
    _error: { state: true },
    _summary: { state: true },
    _session: { state: true },
    _trip: { state: true },
    _confirmDelete: { state: true },
    _saving: { state: true },
    _message: { state: true },
    _mapRows: { state: true },
    _location: { state: true },
    _sort: { state: true },
    _chartTrips: { state: true },
  };

  declare hass: Hass;
  declare narrow: boolean;
  declare route: unknown;
  declare panel: unknown;
  declare _entries: LedgerEntry[] | null;
  declare _entryId: string | null;
  declare _vehicles: Vehicle[];
  declare _tab: Tab;
  declare _vehicle: string;
  declare _month: string;
  declare _offset: number;
  declare _sessions: SessionRow[];
  declare _trips: TripRow[];
  declare _total: number;
  declare _hasMore: boolean;
  declare _loading: boolean;
  declare _error: string | null;
  declare _summary: Summary | null;
  declare _session: SessionDetail | null;
  declare _trip: TripDetail | null;
  declare _confirmDelete: boolean;
  declare _saving: boolean;
  declare _message: string | null;
  declare _mapRows: SessionRow[] | null;
  declare _location: string;
  declare _sort: string;
  declare _chartTrips: TripRow[] | null;

  private _started = false;
  private _request = 0;

  constructor() {
    super();
    this.narrow = false;
    this._entries = null;
    this._entryId = null;
    this._vehicles = [];
    this._tab = "sessions";
    this._vehicle = "";
    this._month = "";
    this._offset = 0;
    this._sessions = [];
    this._trips = [];
    this._total = 0;
    this._hasMore = false;
    this._loading = false;
    this._error = null;
    this._summary = null;
    this._session = null;
    this._trip = null;
    this._confirmDelete = false;
    this._saving = false;
    this._message = null;
    this._mapRows = null;
    this._location = "";
    this._sort = "started_at";
    this._chartTrips = null;
  }

  private get _units(): Units {
    return unitsOf(this.hass?.config?.unit_system);
  }

  private get _tz(): string {
    return this.hass?.config?.time_zone || Intl.DateTimeFormat().resolvedOptions().timeZone;
  }

  private get _locale(): string | undefined {
    return this.hass?.locale?.language || this.hass?.language;
  }

  private get _currency(): string | undefined {
    return this._summary?.currency || this.hass?.config?.currency;
  }

  private get _isAdmin(): boolean {
    return Boolean(this.hass?.user?.is_admin);
  }

  protected override updated(): void {
    if (this.hass && !this._started) {
      this._started = true;
      void this._start();
    }
  }

  private async _start(): Promise<void> {
    try {
      const entries = await ledgerEntries(this.hass);
      this._entries = entries;
      const loaded = entries.find((e) => e.state === "loaded") ?? entries[0];
      if (loaded) await this._selectEntry(loaded.entry_id);
    } catch (err) {
      this._error = this._errorText(err);
    }
  }

  private _errorText(err: unknown): string {
    if (err && typeof err === "object" && "message" in err) {
      return String((err as { message: unknown }).message);
    }
    return String(err);
  }

  private async _selectEntry(entryId: string): Promise<void> {
    this._entryId = entryId;
    this._vehicle = "";
    this._location = "";
    this._offset = 0;
    this._session = null;
    this._trip = null;
    this._vehicles = [];
    await Promise.all([this._loadRows(), this._loadVehicles(), this._loadSummary()]);
  }

  private async _loadVehicles(): Promise<void> {
    if (!this._entryId) return;
    try {
      this._vehicles = await ledgerVehicles(this.hass, this._entryId);
    } catch {
      this._vehicles = [];
    }
  }

  private async _loadSummary(): Promise<void> {
    if (!this._entryId) return;
    try {
      // The last 12 months up to the end of this one (records may end in the future
      // of a clock that is behind, as the demo's replay).
      this._summary = await getSummary(
        this.hass,
        this._entryId,
        this._vehicle || null,
        recentMonths(new Date(), 12, this._tz),
      );
    } catch {
      this._summary = null;
    }
  }

  private _period(): { start?: string; end?: string } {
    const range = this._month ? monthRange(this._month, this._tz) : null;
    return range ?? {};
  }

  private async _loadRows(): Promise<void> {
    if (!this._entryId) return;
    const kind = this._tab === "trips" ? "trips" : "sessions";
    const request = ++this._request;
    this._loading = true;
    this._error = null;
    try {
      const page = await listRecords<SessionRow & TripRow>(this.hass, kind, this._entryId, {
        vehicle: this._vehicle || null,
        // Only what differs from the defaults: an older API takes neither.
        location: this._location || null,
        sort: this._tab === "map" ? null : this._sortFor(kind),
        ...this._period(),
        offset: this._tab === "map" ? 0 : this._offset,
        limit: this._tab === "map" ? 200 : PAGE_SIZE,
      });
      if (request !== this._request) return;
      if (this._tab === "map") this._mapRows = page.rows;
      else if (kind === "trips") this._trips = page.rows;
      else this._sessions = page.rows;
      this._total = page.total;
      this._hasMore = page.hasMore;
    } catch (err) {
      if (request === this._request) this._error = this._errorText(err);
    } finally {
      if (request === this._request) this._loading = false;
    }
  }

  private _sortFor(kind: "sessions" | "trips"): string | null {
    const allowed = kind === "trips" ? ["energy_kwh", "distance_km"] : ["energy_kwh", "cost"];
    return allowed.includes(this._sort) ? this._sort : null;
  }

  private _setTab(tab: Tab): void {
    this._tab = tab;
    this._sort = "started_at";
    this._offset = 0;
    this._session = null;
    this._trip = null;
    if (tab !== "charts") void this._loadRows();
    else void this._loadChartTrips();
  }

  /** The last 12 months' trips (up to 200) for efficiency against temperature. */
  private async _loadChartTrips(): Promise<void> {
    if (!this._entryId) return;
    try {
      const page = await listRecords<TripRow>(this.hass, "trips", this._entryId, {
        vehicle: this._vehicle || null,
        ...recentMonths(new Date(), 12, this._tz),
        limit: 200,
      });
      this._chartTrips = page.rows;
    } catch {
      this._chartTrips = [];
    }
  }

  private _filterChanged(): void {
    if (this._tab === "charts") void this._loadChartTrips();
    this._offset = 0;
    void this._loadRows();
    void this._loadSummary();
  }

  private _vehicleName(rowId: string): string {
    return this._vehicles.find((v) => v.rowId === rowId)?.name ?? "";
  }

  // Rendering ---------------------------------------------------------------------

  protected override render(): TemplateResult {
    return html`
      <div class="toolbar">
        ${customElements.get("ha-menu-button")
          ? html`<ha-menu-button .hass=${this.hass} .narrow=${this.narrow}></ha-menu-button>`
          : nothing}
        <div class="title">EV Ledger</div>
      </div>
      <main>${this._renderBody()}</main>
    `;
  }

  private _renderBody(): TemplateResult {
    if (this._entries === null) {
      return this._error
        ? html`<p class="error">${this._error}</p>`
        : html`<p class="muted">Loading…</p>`;
    }
    if (!this._entries.length) {
      return html`<p>No EV Ledger is set up yet: add the integration under Settings →
        Devices &amp; services.</p>`;
    }
    return html`
      ${this._renderTabs()} ${this._renderFilters()}
      ${this._message ? html`<p class="message" role="status">${this._message}</p>` : nothing}
      ${this._error ? html`<p class="error">${this._error}</p>` : nothing}
      ${this._session
        ? this._renderSession(this._session)
        : this._trip
          ? this._renderTrip(this._trip)
          : this._renderTab()}
    `;
  }

  private _renderTabs(): TemplateResult {
    return html`<nav class="tabs" role="tablist">
      ${TABS.map(
        ([tab, label]) =>
          html`<button
            role="tab"
            class="tab ${this._tab === tab ? "active" : ""}"
            aria-selected=${this._tab === tab ? "true" : "false"}
            data-tab=${tab}
            @click=${() => this._setTab(tab)}
          >
            ${label}
          </button>`,
      )}
    </nav>`;
  }

  private _renderFilters(): TemplateResult {
    const entries = this._entries ?? [];
    return html`<div class="filters">
      ${entries.length > 1
        ? html`<label
            >Ledger
            <select
              id="entry"
              @change=${(e: Event) => this._selectEntry((e.target as HTMLSelectElement).value)}
            >
              ${entries.map(
                (e) =>
                  html`<option value=${e.entry_id} ?selected=${e.entry_id === this._entryId}>
                    ${e.title}
                  </option>`,
              )}
            </select></label
          >`
        : nothing}
      <label
        >Vehicle
        <select
          id="vehicle"
          .value=${this._vehicle}
          @change=${(e: Event) => {
            this._vehicle = (e.target as HTMLSelectElement).value;
            this._filterChanged();
          }}
        >
          <option value="" ?selected=${!this._vehicle}>All vehicles</option>
          ${this._vehicles.map(
            (v) => html`<option value=${v.id} ?selected=${v.id === this._vehicle}>${v.name}</option>`,
          )}
        </select></label
      >
      <label
        >Month
        <input
          id="month"
          type="month"
          .value=${this._month}
          @change=${(e: Event) => {
            this._month = (e.target as HTMLInputElement).value;
            this._filterChanged();
          }}
      /></label>
      ${this._summary?.locations?.length && this._tab !== "charts"
        ? html`<label
            >Location
            <select
              id="location"
              @change=${(e: Event) => {
                this._location = (e.target as HTMLSelectElement).value;
                this._filterChanged();
              }}
            >
              <option value="" ?selected=${!this._location}>All places</option>
              ${this._summary.locations.map(
                (l) =>
                  html`<option value=${l.location} ?selected=${l.location === this._location}>
                    ${l.name || l.location}
                  </option>`,
              )}
            </select></label
          >`
        : nothing}
      ${this._tab === "sessions" || this._tab === "trips"
        ? html`<label
            >Sort
            <select
              id="sort"
              @change=${(e: Event) => {
                this._sort = (e.target as HTMLSelectElement).value;
                this._filterChanged();
              }}
            >
              ${(this._tab === "trips"
                ? [
                    ["started_at", "Newest first"],
                    ["distance_km", "Longest first"],
                    ["energy_kwh", "Most energy first"],
                  ]
                : [
                    ["started_at", "Newest first"],
                    ["energy_kwh", "Most energy first"],
                    ["cost", "Highest cost first"],
                  ]
              ).map(
                ([value, label]) =>
                  html`<option value=${value} ?selected=${value === this._sort}>${label}</option>`,
              )}
            </select></label
          >`
        : nothing}
      ${this._month || this._vehicle || this._location
        ? html`<button
            id="clear"
            @click=${() => {
              this._month = "";
              this._vehicle = "";
              this._location = "";
              this._filterChanged();
            }}
          >
            Clear filters
          </button>`
        : nothing}
      <button id="download" @click=${this._download}>Download CSV</button>
    </div>`;
  }

  private _renderTab(): TemplateResult {
    switch (this._tab) {
      case "trips":
        return this._renderTrips();
      case "charts":
        return this._renderCharts();
      case "map":
        return this._renderMap();
      default:
        return this._renderSessions();
    }
  }

  private _monthTotals(month: string): MonthTotals | undefined {
    return this._summary?.months.find((m) => m.month.slice(0, 7) === month);
  }

  private _subtotalRow(
    total: Subtotal | null,
    kind: "sessions" | "trips",
    span: number,
  ): TemplateResult | typeof nothing {
    if (total === null) return nothing;
    const month = this._monthTotals(total.month);
    const u = this._units;
    const label = total.month ? fmtMonth(total.month, this._locale) : "Undated";
    let text: string;
    if (kind === "sessions") {
      const count = month && !this._month && !this._location ? month.sessions : total.count;
      const energy = month && !this._month && !this._location ? num(month.energy_kwh) : total.energyKwh;
      const cost = month && !this._month && !this._location ? num(month.cost) : total.cost;
      text = `${plural(count, "session")} · ${fmtNumber(energy, 1, this._locale)} kWh · ${fmtMoney(
        cost,
        total.currencies[0] || this._currency,
        this._locale,
      )}`;
    } else {
      const count = month && !this._month && !this._location ? month.trips : total.count;
      const km = month && !this._month && !this._location ? num(month.distance_km) : total.distanceKm;
      text = `${plural(count, "trip")} · ${fmtNumber(distance(km, u), 0, this._locale)} ${u.distance}`;
    }
    return html`<tr class="subtotal" data-month=${total.month}>
      <td colspan=${span}>${label}: ${text}</td>
    </tr>`;
  }

  private _pager(): TemplateResult {
    const first = this._total ? this._offset + 1 : 0;
    const rows = this._tab === "trips" ? this._trips.length : this._sessions.length;
    return html`<div class="pager">
      <button
        id="prev"
        ?disabled=${this._offset === 0 || this._loading}
        @click=${() => {
          this._offset = Math.max(0, this._offset - PAGE_SIZE);
          void this._loadRows();
        }}
      >
        Newer
      </button>
      <span class="muted">${first}–${this._offset + rows} of ${this._total}</span>
      <button
        id="next"
        ?disabled=${!this._hasMore || this._loading}
        @click=${() => {
          this._offset += PAGE_SIZE;
          void this._loadRows();
        }}
      >
        Older
      </button>
    </div>`;
  }

  private _renderSessions(): TemplateResult {
    if (!this._sessions.length) {
      return html`<p class="muted empty">${this._loading ? "Loading…" : "No sessions in this selection."}</p>`;
    }
    const many = this._vehicles.length > 1;
    const span = many ? 8 : 7;
    const groups = this._grouped(this._sessions);
    return html`<div class="card">
      <div class="table-wrap">
        <table id="sessions">
          <thead>
            <tr>
              <th>Started</th>
              ${many ? html`<th>Vehicle</th>` : nothing}
              <th>Location</th>
              <th class="num">Energy (kWh)</th>
              <th class="num">Duration</th>
              <th class="num">Battery</th>
              <th class="num">Cost</th>
              <th class="num">Solar</th>
            </tr>
          </thead>
          <tbody>
            ${groups.map(
              (group) => html`${this._subtotalRow(group.subtotal, "sessions", span)}
              ${group.rows.map(
                (row) => html`<tr
                  class="row"
                  data-id=${row.id}
                  data-status=${row.status ?? ""}
                  data-month=${row.started_at ? monthOf(row.started_at, this._tz) : ""}
                  tabindex="0"
                  @click=${() => this._openSession(row.id)}
                  @keydown=${(e: KeyboardEvent) => e.key === "Enter" && this._openSession(row.id)}
                >
                  <td>${fmtTime(row.started_at, this._tz, this._locale)}</td>
                  ${many ? html`<td>${this._vehicleName(row.vehicle_id)}</td>` : nothing}
                  <td>${placeName(row)}${row.flags?.length ? html` <span title=${row.flags.map(flagWording).join("\n")}>⚠</span>` : nothing}</td>
                  <td class="num">${fmtNumber(num(row.energy_kwh), 2, this._locale)}</td>
                  <td class="num">${fmtDuration(row.charging_seconds)}</td>
                  <td class="num">${this._levels(row)}</td>
                  <td class="num">${fmtMoney(row.cost, row.currency || this._currency, this._locale)}</td>
                  <td class="num">${this._share(row.solar_share)}</td>
                </tr>`,
              )}`,
            )}
          </tbody>
        </table>
      </div>
      ${this._pager()}
    </div>`;
  }

  /** Rows by month with subtotals in time order; one group without them otherwise. */
  private _grouped<T extends SessionRow | TripRow>(rows: T[]): { month: string; rows: T[]; subtotal: Subtotal | null }[] {
    if (this._sort === "started_at") return groupByMonth(rows, this._tz);
    return [{ month: "", rows, subtotal: null }];
  }

  private _levels(row: SessionRow): string {
    const a = num(row.start_level);
    const b = num(row.end_level);
    if (a === null && b === null) return "—";
    return `${a === null ? "?" : Math.round(a)} → ${b === null ? "?" : Math.round(b)} %`;
  }

  private _share(value: unknown): string {
    const share = num(value);
    return share === null ? "—" : `${Math.round(share * 100)} %`;
  }

  private _renderTrips(): TemplateResult {
    if (!this._trips.length) {
      return html`<p class="muted empty">${this._loading ? "Loading…" : "No trips in this selection."}</p>`;
    }
    const u = this._units;
    const many = this._vehicles.length > 1;
    const span = many ? 8 : 7;
    return html`<div class="card">
      <div class="table-wrap">
        <table id="trips">
          <thead>
            <tr>
              <th>Started</th>
              ${many ? html`<th>Vehicle</th>` : nothing}
              <th>From → to</th>
              <th class="num">Distance (${u.distance})</th>
              <th class="num">Duration</th>
              <th class="num">Energy (kWh)</th>
              <th class="num">Efficiency (Wh/${u.distance})</th>
              <th class="num">Outside</th>
            </tr>
          </thead>
          <tbody>
            ${this._grouped(this._trips).map(
              (group) => html`${this._subtotalRow(group.subtotal, "trips", span)}
              ${group.rows.map(
                (row) => html`<tr class="row" data-id=${row.id} tabindex="0" @click=${() => this._openTrip(row.id)}>
                  <td>${fmtTime(row.started_at, this._tz, this._locale)}</td>
                  ${many ? html`<td>${this._vehicleName(row.vehicle_id)}</td>` : nothing}
                  <td>${tripEnds(row)}</td>
                  <td class="num">${fmtNumber(distance(row.distance_km, u), 1, this._locale)}</td>
                  <td class="num">${fmtDuration(row.duration_seconds)}</td>
                  <td class="num">${fmtNumber(num(row.energy_kwh), 2, this._locale)}</td>
                  <td class="num">${fmtNumber(efficiency(row.efficiency_wh_km, u), 0, this._locale)}</td>
                  <td class="num">${this._temp(row.outside_temp_c)}</td>
                </tr>`,
              )}`,
            )}
          </tbody>
        </table>
      </div>
      ${this._pager()}
    </div>`;
  }

  private _temp(value: unknown): string {
    const t = temperature(value, this._units);
    return t === null ? "—" : `${fmtNumber(t, 1, this._locale)} ${this._units.temperature}`;
  }

  private _renderCharts(): TemplateResult {
    const months = this._summary?.months ?? [];
    const labels = months.map((m) => fmtMonth(m.month, this._locale).split(" ")[0].slice(0, 3));
    const solar = months.map((m) => num(m.solar_kwh) ?? 0);
    const battery = months.map((m) => num(m.battery_kwh) ?? 0);
    const grid = months.map(
      (m) => num(m.grid_kwh) ?? Math.max(0, (num(m.energy_kwh) ?? 0) - (num(m.solar_kwh) ?? 0)),
    );
    const hasBattery = battery.some((v) => v > 0);
    const u = this._units;
    const eff = months.map((m) => {
      const km = num(m.distance_km);
      const kwh = num(m.trip_energy_kwh);
      return km && kwh ? efficiency((kwh * 1000) / km, u) ?? 0 : 0;
    });
    return html`<div class="grid">
      <section class="card">
        <h2>Energy per month</h2>
        ${stackedBars(
          labels,
          [
            { label: "Solar", className: "solar", values: solar },
            ...(hasBattery
              ? [{ label: "Home battery", className: "battery", values: battery }]
              : []),
            { label: hasBattery ? "Grid" : "Grid and home battery", className: "from-grid", values: grid },
          ],
          "kWh",
          "Energy per month",
        )}
      </section>
      <section class="card">
        <h2>Cost per month</h2>
        ${stackedBars(
          labels,
          [{ label: `Cost (${this._currency ?? ""})`, className: "cost", values: months.map((m) => num(m.cost) ?? 0) }],
          this._currency ?? "",
          "Cost per month",
        )}
      </section>
      ${this._renderBreakdown()}
      <section class="card">
        <h2>Driving efficiency per month</h2>
        ${stackedBars(
          labels,
          [{ label: `Wh/${u.distance}`, className: "efficiency", values: eff }],
          `Wh/${u.distance}`,
          "Efficiency per month",
        )}
        ${this._chartTrips === null
          ? nothing
          : scatter(
              monthlyEfficiency(this._chartTrips, this._tz)
                .filter((m) => m.whPerKm !== null && m.outsideC !== null)
                .map((m) => ({
                  x: temperature(m.outsideC, u) ?? 0,
                  y: efficiency(m.whPerKm, u) ?? 0,
                  label: fmtMonth(m.month, this._locale).split(" ")[0].slice(0, 3),
                })),
              u.temperature,
              `Wh/${u.distance}`,
              "Efficiency against outside temperature",
            )}
      </section>
    </div>`;
  }

  private _renderBreakdown(): TemplateResult {
    const sources = this._summary?.sources;
    const locations = (this._summary?.locations ?? []).slice(0, 8);
    const parts: [string, string, number][] = sources
      ? ([
          ["Solar", "solar", num(sources.solar_kwh) ?? 0],
          ["Home battery", "battery", num(sources.battery_kwh) ?? 0],
          ["Grid", "from-grid", num(sources.grid_kwh) ?? 0],
          ["Unattributed", "energy", num(sources.unattributed_kwh) ?? 0],
        ] as [string, string, number][])
      : [];
    const shown = parts.filter(([, , value]) => value > 0);
    return html`${shown.length
        ? html`<section class="card">
            <h2>Energy by source (12 months)</h2>
            ${stackedBars(
              shown.map(([label]) => label),
              shown.map(([label, className, value], i) => ({
                label,
                className,
                values: shown.map((_, j) => (i === j ? value : 0)),
              })),
              "kWh",
              "Energy by source",
            )}
          </section>`
        : nothing}
      ${locations.length
        ? html`<section class="card">
            <h2>Energy and cost by location (12 months)</h2>
            ${stackedBars(
              locations.map((l) => l.name || l.location),
              [
                { label: "Solar", className: "solar", values: locations.map((l) => num(l.solar_kwh) ?? 0) },
                {
                  label: "Other",
                  className: "from-grid",
                  values: locations.map((l) => (num(l.energy_kwh) ?? 0) - (num(l.solar_kwh) ?? 0)),
                },
              ],
              "kWh",
              "Energy by location",
            )}
            ${stackedBars(
              locations.map((l) => l.name || l.location),
              [{ label: `Cost (${this._currency ?? ""})`, className: "cost", values: locations.map((l) => num(l.cost) ?? 0) }],
              this._currency ?? "",
              "Cost by location",
            )}
          </section>`
        : nothing}`;
  }

  private _renderMap(): TemplateResult {
    const rows = this._mapRows ?? [];
    const places = placesOf(rows);
    return html`<div class="grid">
      <section class="card">
        <h2>Charging locations</h2>
        ${this._mapRows === null ? html`<p class="muted">Loading…</p>` : placeMap(places)}
      </section>
      <section class="card">
        <h2>Places</h2>
        <div class="table-wrap">
          <table id="places">
            <thead>
              <tr><th>Place</th><th class="num">Sessions</th><th class="num">Energy (kWh)</th></tr>
            </thead>
            <tbody>
              ${places.map(
                (p) => html`<tr>
                  <td>${p.name}</td>
                  <td class="num">${p.sessions}</td>
                  <td class="num">${fmtNumber(p.energyKwh, 1, this._locale)}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
        ${this._total > rows.length
          ? html`<p class="muted">The newest ${rows.length} of ${this._total} sessions.</p>`
          : nothing}
      </section>
    </div>`;
  }

  // Details ------------------------------------------------------------------------

  private async _openSession(id: string): Promise<void> {
    if (!this._entryId) return;
    this._message = null;
    this._confirmDelete = false;
    try {
      this._session = await getSession(this.hass, this._entryId, id);
    } catch (err) {
      this._error = this._errorText(err);
    }
  }

  private async _openTrip(id: string): Promise<void> {
    if (!this._entryId) return;
    this._message = null;
    try {
      this._trip = await getTrip(this.hass, this._entryId, id);
    } catch (err) {
      this._error = this._errorText(err);
    }
  }

  private _back(): void {
    this._session = null;
    this._trip = null;
    this._confirmDelete = false;
    void this._loadRows();
  }

  private _fact(label: string, value: string | TemplateResult): TemplateResult {
    return html`<div class="fact"><span class="muted">${label}</span><span>${value}</span></div>`;
  }

  private _renderSession(s: SessionDetail): TemplateResult {
    const currency = s.currency || this._currency;
    const time = (seconds: number): string =>
      fmtTime(new Date(seconds * 1000).toISOString(), this._tz, this._locale);
    const flags = s.flags ?? [];
    return html`<div class="detail" id="session-detail">
      <button class="back" @click=${this._back}>← Back</button>
      <div class="grid">
        <section class="card">
          <h2>Session at ${placeName(s)}</h2>
          <div class="facts">
            ${this._fact("Vehicle", this._vehicleName(s.vehicle_id) || "—")}
            ${this._fact("Started", fmtTime(s.started_at, this._tz, this._locale))}
            ${this._fact("Ended", fmtTime(s.ended_at, this._tz, this._locale))}
            ${this._fact("Energy", `${fmtNumber(num(s.energy_kwh), 2, this._locale)} kWh`)}
            ${this._fact("Charging time", fmtDuration(s.charging_seconds))}
            ${this._fact("Battery", this._levels(s))}
            ${this._fact("Peak power", `${fmtNumber(num(s.power_max_kw), 1, this._locale)} kW`)}
            ${this._fact("Cost", fmtMoney(s.cost, currency, this._locale))}
            ${this._fact("Tariff", describeTariff(s.tariff))}
            ${this._fact("Cost breakdown", costBreakdown(s, currency, this._locale))}
            ${[s.solar_kwh, s.battery_kwh, s.grid_kwh].some((v) => num(v) !== null)
              ? this._fact(
                  "Energy sources",
                  `solar ${fmtNumber(num(s.solar_kwh), 1, this._locale)} · battery ${fmtNumber(
                    num(s.battery_kwh),
                    1,
                    this._locale,
                  )} · grid ${fmtNumber(num(s.grid_kwh), 1, this._locale)} kWh`,
                )
              : nothing}
            ${s.notes ? this._fact("Notes", s.notes) : nothing}
            ${this._fact("Status", `${s.status ?? "—"} (${s.source ?? "live"})`)}
          </div>
        </section>
        <section class="card">
          <h2>Charging curve</h2>
          ${chargingCurve(s.samples ?? [], time)}
        </section>
        <section class="card">
          <h2>Charging windows</h2>
          ${s.windows?.length
            ? html`<ul class="windows">
                ${s.windows.map(
                  (w) =>
                    html`<li>
                      ${fmtTime(w.started_at, this._tz, this._locale)} –
                      ${fmtTime(w.ended_at, this._tz, this._locale)}:
                      ${fmtNumber(num(w.energy_kwh), 2, this._locale)} kWh
                    </li>`,
                )}
              </ul>`
            : html`<p class="muted">No windows recorded.</p>`}
          <h2>Data quality</h2>
          ${flags.length
            ? html`<ul class="flags">
                ${flags.map((f) => html`<li data-flag=${f}>${flagWording(f)}</li>`)}
              </ul>`
            : html`<p class="muted">Measured without gaps.</p>`}
        </section>
        ${this._renderEdit(s)}
      </div>
    </div>`;
  }

  private _renderEdit(s: SessionDetail): TemplateResult {
    if (!this._isAdmin) {
      return html`<section class="card">
        <h2>Notes</h2>
        <p>${s.notes || html`<span class="muted">None</span>`}</p>
      </section>`;
    }
    return html`<section class="card">
      <h2>Correct this session</h2>
      <form class="edit" @submit=${this._save}>
        <label
          >Cost (${s.currency || this._currency || ""})
          <input
            name="cost"
            type="number"
            step="0.01"
            min="0"
            .value=${s.cost_override === null || s.cost_override === undefined
              ? ""
              : String(num(s.cost_override) ?? "")}
            placeholder=${fmtMoney(s.cost, s.currency || this._currency, this._locale)}
        /></label>
        <label
          >Location
          <input
            name="location"
            maxlength="200"
            .value=${s.location_override ?? ""}
            placeholder=${s.location_name ?? ""}
        /></label>
        <label
          >Notes
          <textarea name="notes" rows="3" maxlength="10000" .value=${s.notes ?? ""}></textarea>
        </label>
        <div class="actions">
          <button class="primary" type="submit" id="save" ?disabled=${this._saving}>Save</button>
          ${this._confirmDelete
            ? html`<span>Delete this session for good?</span>
                <button type="button" class="danger" id="confirm-delete" @click=${this._delete}>
                  Delete
                </button>
                <button type="button" @click=${() => (this._confirmDelete = false)}>Cancel</button>`
            : html`<button type="button" id="delete" @click=${() => (this._confirmDelete = true)}>
                Delete…
              </button>`}
        </div>
      </form>
    </section>`;
  }

  private async _save(e: Event): Promise<void> {
    e.preventDefault();
    const s = this._session;
    if (!s || !this._entryId) return;
    const form = e.target as HTMLFormElement;
    const value = (name: string): string =>
      (form.elements.namedItem(name) as HTMLInputElement | null)?.value.trim() ?? "";
    const cost = value("cost");
    this._saving = true;
    this._message = null;
    try {
      await updateSession(this.hass, this._entryId, s.id, {
        cost: cost === "" ? null : Number(cost),
        location: value("location") || null,
        notes: value("notes") || null,
      });
      this._session = await getSession(this.hass, this._entryId, s.id);
      this._message = "Saved.";
      void this._loadSummary();
    } catch (err) {
      this._error = this._errorText(err);
    } finally {
      this._saving = false;
    }
  }

  private async _delete(): Promise<void> {
    const s = this._session;
    if (!s || !this._entryId) return;
    try {
      await deleteSession(this.hass, this._entryId, s.id);
      this._message = "Session deleted.";
      this._back();
      void this._loadSummary();
    } catch (err) {
      this._error = this._errorText(err);
    }
  }

  private _renderTrip(t: TripDetail): TemplateResult {
    const u = this._units;
    return html`<div class="detail" id="trip-detail">
      <button class="back" @click=${this._back}>← Back</button>
      <div class="grid">
        <section class="card">
          <h2>Trip ${tripEnds(t)}</h2>
          <div class="facts">
            ${this._fact("Vehicle", this._vehicleName(t.vehicle_id) || "—")}
            ${this._fact("Started", fmtTime(t.started_at, this._tz, this._locale))}
            ${this._fact("Ended", fmtTime(t.ended_at, this._tz, this._locale))}
            ${this._fact("Distance", `${fmtNumber(distance(t.distance_km, u), 1, this._locale)} ${u.distance}`)}
            ${this._fact("Energy", `${fmtNumber(num(t.energy_kwh), 2, this._locale)} kWh`)}
            ${this._fact(
              "Efficiency",
              `${fmtNumber(efficiency(t.efficiency_wh_km, u), 0, this._locale)} Wh/${u.distance}`,
            )}
            ${this._fact("Outside temperature", this._temp(t.outside_temp_c))}
            ${this._fact("Duration", fmtDuration(t.duration_seconds))}
          </div>
          ${t.flags?.length
            ? html`<ul class="flags">${t.flags.map((f) => html`<li>${flagWording(f)}</li>`)}</ul>`
            : nothing}
        </section>
        <section class="card">
          <h2>Route</h2>
          ${routeMap(t.route ?? [])}
        </section>
      </div>
    </div>`;
  }

  // CSV download ---------------------------------------------------------------------

  private async _download(): Promise<void> {
    if (!this._entryId) return;
    const kind = this._tab === "trips" ? "trips" : "sessions";
    const url = csvUrl(this._entryId, kind, {
      vehicle: this._vehicle,
      location: this._location,
      ...this._period(),
    });
    try {
      if (!this.hass.fetchWithAuth) throw new Error("Downloads need a newer Home Assistant");
      const response = await this.hass.fetchWithAuth(url);
      if (!response.ok) throw new Error(`Download failed: ${response.status}`);
      const blob = await response.blob();
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = filenameOf(response.headers.get("Content-Disposition"), `${kind}.csv`);
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (err) {
      this._error = this._errorText(err);
    }
  }

  static override styles = [
    shared,
    css`
      :host {
        display: block;
        background: var(--primary-background-color, #fafafa);
        min-height: 100vh;
      }
      .toolbar {
        display: flex;
        align-items: center;
        height: var(--header-height, 56px);
        padding: 0 12px;
        background: var(--app-header-background-color, var(--primary-color, #03a9f4));
        color: var(--app-header-text-color, #fff);
        font-size: 20px;
      }
      .title {
        margin-left: 12px;
      }
      main {
        padding: 12px;
        max-width: 1200px;
        margin: 0 auto;
      }
      .tabs {
        display: flex;
        gap: 4px;
        border-bottom: 1px solid var(--divider-color, #e0e0e0);
        margin-bottom: 12px;
        overflow-x: auto;
      }
      .tab {
        border: none;
        border-radius: 0;
        background: none;
        padding: 10px 16px;
        border-bottom: 2px solid transparent;
      }
      .tab.active {
        border-bottom-color: var(--primary-color, #03a9f4);
        color: var(--primary-color, #03a9f4);
      }
      .filters {
        display: flex;
        flex-wrap: wrap;
        gap: 8px 12px;
        align-items: end;
        margin-bottom: 12px;
      }
      .filters label {
        display: flex;
        flex-direction: column;
        font-size: 13px;
        color: var(--secondary-text-color, #727272);
        gap: 2px;
      }
      .card {
        background: var(--card-background-color, #fff);
        border-radius: var(--ha-card-border-radius, 12px);
        box-shadow: var(--ha-card-box-shadow, 0 1px 3px rgba(0, 0, 0, 0.12));
        border: var(--ha-card-border-width, 1px) solid var(--ha-card-border-color, var(--divider-color, #e0e0e0));
        padding: 12px;
        min-width: 0;
      }
      .card h2 {
        font-size: 16px;
        font-weight: 500;
        margin: 4px 0 12px;
      }
      .table-wrap {
        overflow-x: auto;
        -webkit-overflow-scrolling: touch;
      }
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 420px), 1fr));
        gap: 12px;
      }
      .pager {
        display: flex;
        gap: 12px;
        align-items: center;
        justify-content: flex-end;
        padding-top: 8px;
      }
      .facts {
        display: grid;
        grid-template-columns: 1fr;
        gap: 6px;
      }
      .fact {
        display: flex;
        justify-content: space-between;
        gap: 12px;
      }
      .fact span:last-child {
        text-align: right;
      }
      .back {
        margin-bottom: 12px;
      }
      .edit {
        display: flex;
        flex-direction: column;
        gap: 10px;
      }
      .edit label {
        display: flex;
        flex-direction: column;
        gap: 4px;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        align-items: center;
      }
      .message {
        color: var(--success-color, #43a047);
      }
      ul {
        padding-left: 20px;
        margin: 0 0 12px;
      }
    `,
  ];
}

if (!customElements.get("ev-ledger-panel")) {
  customElements.define("ev-ledger-panel", EvLedgerPanel);
}

declare global {
  interface HTMLElementTagNameMap {
    "ev-ledger-panel": EvLedgerPanel;
  }
}
