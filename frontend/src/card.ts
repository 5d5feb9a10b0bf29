// The Lovelace card "ev-ledger-card": this month's totals and the latest records.
import { LitElement, css, html, nothing, type TemplateResult } from "lit";
import {
  getSummary,
  ledgerEntries,
  ledgerVehicles,
  listRecords,
  type Hass,
  type LedgerEntry,
  type MonthTotals,
  type SessionRow,
  type TripRow,
  type Vehicle,
} from "./api";
import {
  distance,
  fmtMoney,
  fmtNumber,
  fmtTime,
  monthOf,
  num,
  placeName,
  tripEnds,
  recentMonths,
  unitsOf,
} from "./format";
import { shared } from "./styles";

export interface CardConfig {
  type: string;
  title?: string;
  entry_id?: string;
  vehicle?: string;
  show?: "sessions" | "trips" | "both";
  count?: number;
}

export const DEFAULT_COUNT = 5;

function fireConfigChanged(element: HTMLElement, config: CardConfig): void {
  element.dispatchEvent(
    new CustomEvent("config-changed", { detail: { config }, bubbles: true, composed: true }),
  );
}

export class EvLedgerCard extends LitElement {
  static override properties = {
    hass: { attribute: false },
    _config: { state: true },
    _sessions: { state: true },
    _trips: { state: true },
    _month: { state: true },
    _error: { state: true },
    _entryId: { state: true },
  };

  declare hass: Hass;
  declare _config: CardConfig;
  declare _sessions: SessionRow[] | null;
  declare _trips: TripRow[] | null;
  declare _month: MonthTotals | null;
  declare _error: string | null;
  declare _entryId: string | null;
  private _loadedFor = "";
  private _loadedAt = 0;

  constructor() {
    super();
    this._config = { type: "custom:ev-ledger-card" };
    this._sessions = null;
    this._trips = null;
    this._month = null;
    this._error = null;
    this._entryId = null;
  }

  static getConfigElement(): HTMLElement {
    return document.createElement("ev-ledger-card-editor");
  }

  static getStubConfig(): CardConfig {
    return { type: "custom:ev-ledger-card", show: "both", count: DEFAULT_COUNT };
  }

  setConfig(config: CardConfig): void {
    if (!config || typeof config !== "object") throw new Error("Invalid configuration");
    if (config.show && !["sessions", "trips", "both"].includes(config.show)) {
      throw new Error("show must be sessions, trips or both");
    }
    this._config = { ...config };
    this._loadedFor = "";
  }

  getCardSize(): number {
    return 2 + (this._config.count ?? DEFAULT_COUNT);
  }

  protected override updated(): void {
    const key = JSON.stringify(this._config);
    // Reload on a new configuration, and at most every 5 minutes while shown.
    if (this.hass && (key !== this._loadedFor || Date.now() - this._loadedAt > 300_000)) {
      this._loadedFor = key;
      this._loadedAt = Date.now();
      void this._load();
    }
  }

  private async _load(): Promise<void> {
    try {
      let entryId = this._config.entry_id ?? null;
      if (!entryId) {
        const entries = await ledgerEntries(this.hass);
        entryId = (entries.find((e) => e.state === "loaded") ?? entries[0])?.entry_id ?? null;
      }
      this._entryId = entryId;
      if (!entryId) {
        this._error = "No EV Ledger is set up.";
        return;
      }
      const show = this._config.show ?? "both";
      const limit = Math.max(1, Math.min(20, this._config.count ?? DEFAULT_COUNT));
      const filters = { vehicle: this._config.vehicle || null, limit };
      const tz = this.hass.config?.time_zone || "UTC";
      const [sessions, trips, summary] = await Promise.all([
        show !== "trips"
          ? listRecords<SessionRow>(this.hass, "sessions", entryId, filters)
          : null,
        show !== "sessions" ? listRecords<TripRow>(this.hass, "trips", entryId, filters) : null,
        getSummary(
          this.hass,
          entryId,
          this._config.vehicle || null,
          recentMonths(new Date(), 1, tz),
        ).catch(() => null),
      ]);
      const thisMonth = monthOf(new Date().toISOString(), tz);
      this._sessions = sessions?.rows ?? null;
      this._trips = trips?.rows ?? null;
      this._month = summary?.months.find((m) => m.month.slice(0, 7) === thisMonth) ?? null;
      this._error = null;
    } catch (err) {
      this._error =
        err && typeof err === "object" && "message" in err
          ? String((err as { message: unknown }).message)
          : String(err);
    }
  }

  protected override render(): TemplateResult {
    const units = unitsOf(this.hass?.config?.unit_system);
    const tz = this.hass?.config?.time_zone || "UTC";
    const locale = this.hass?.locale?.language;
    const currency = this.hass?.config?.currency;
    const m = this._month;
    return html`<ha-card>
      <div class="head">${this._config.title ?? "EV Ledger"}</div>
      <div class="content">
        ${this._error ? html`<p class="error">${this._error}</p>` : nothing}
        <div class="totals">
          <div>
            <span class="value">${fmtNumber(num(m?.energy_kwh) ?? 0, 1, locale)} kWh</span>
            <span class="muted">charged this month</span>
          </div>
          <div>
            <span class="value">${fmtMoney(num(m?.cost) ?? 0, currency, locale)}</span>
            <span class="muted">cost</span>
          </div>
          <div>
            <span class="value"
              >${fmtNumber(distance(num(m?.distance_km) ?? 0, units), 0, locale)}
              ${units.distance}</span
            >
            <span class="muted">driven</span>
          </div>
        </div>
        ${this._sessions
          ? html`<h3>Recent sessions</h3>
              <ul class="sessions">
                ${this._sessions.length
                  ? this._sessions.map(
                      (s) => html`<li>
                        <span>${fmtTime(s.started_at, tz, locale)} · ${placeName(s)}</span>
                        <span class="num"
                          >${fmtNumber(num(s.energy_kwh), 1, locale)} kWh ·
                          ${fmtMoney(s.cost, s.currency || currency, locale)}</span
                        >
                      </li>`,
                    )
                  : html`<li class="muted">None yet</li>`}
              </ul>`
          : nothing}
        ${this._trips
          ? html`<h3>Recent trips</h3>
              <ul class="trips">
                ${this._trips.length
                  ? this._trips.map(
                      (t) => html`<li>
                        <span
                          >${fmtTime(t.started_at, tz, locale)} · ${tripEnds(t)}</span
                        >
                        <span class="num"
                          >${fmtNumber(distance(t.distance_km, units), 1, locale)}
                          ${units.distance}</span
                        >
                      </li>`,
                    )
                  : html`<li class="muted">None yet</li>`}
              </ul>`
          : nothing}
      </div>
    </ha-card>`;
  }

  static override styles = [
    shared,
    css`
      ha-card {
        display: block;
        overflow: hidden;
      }
      .head {
        font-size: 20px;
        padding: 16px 16px 0;
      }
      .content {
        padding: 8px 16px 16px;
      }
      .totals {
        display: flex;
        flex-wrap: wrap;
        gap: 12px 24px;
      }
      .totals div {
        display: flex;
        flex-direction: column;
      }
      .value {
        font-size: 20px;
        font-weight: 500;
      }
      h3 {
        font-size: 14px;
        font-weight: 500;
        margin: 16px 0 4px;
      }
      ul {
        list-style: none;
        padding: 0;
        margin: 0;
      }
      li {
        display: flex;
        justify-content: space-between;
        gap: 8px;
        padding: 4px 0;
        border-bottom: 1px solid var(--divider-color, #e0e0e0);
        font-size: 14px;
      }
      li .num {
        white-space: nowrap;
      }
    `,
  ];
}

export class EvLedgerCardEditor extends LitElement {
  static override properties = {
    hass: { attribute: false },
    _config: { state: true },
    _entries: { state: true },
    _vehicles: { state: true },
  };

  declare hass: Hass;
  declare _config: CardConfig;
  declare _entries: LedgerEntry[];
  declare _vehicles: Vehicle[];
  private _loadedEntry: string | null = null;
  private _started = false;

  constructor() {
    super();
    this._config = { type: "custom:ev-ledger-card" };
    this._entries = [];
    this._vehicles = [];
  }

  setConfig(config: CardConfig): void {
    this._config = { ...config };
  }

  protected override updated(): void {
    if (!this.hass) return;
    if (!this._started) {
      this._started = true;
      ledgerEntries(this.hass)
        .then((entries) => (this._entries = entries))
        .catch(() => (this._entries = []));
    }
    const entryId = this._config.entry_id ?? this._entries[0]?.entry_id ?? null;
    if (entryId && entryId !== this._loadedEntry) {
      this._loadedEntry = entryId;
      ledgerVehicles(this.hass, entryId)
        .then((vehicles) => (this._vehicles = vehicles))
        .catch(() => (this._vehicles = []));
    }
  }

  private _set(key: keyof CardConfig, value: string | number | undefined): void {
    const config: CardConfig = { ...this._config };
    if (value === "" || value === undefined) delete config[key];
    else (config as unknown as Record<string, unknown>)[key] = value;
    if (key === "entry_id") delete config.vehicle;
    this._config = config;
    fireConfigChanged(this, config);
  }

  protected override render(): TemplateResult {
    const c = this._config;
    return html`<div class="editor">
      <label
        >Title
        <input
          name="title"
          .value=${c.title ?? ""}
          placeholder="EV Ledger"
          @change=${(e: Event) => this._set("title", (e.target as HTMLInputElement).value)}
      /></label>
      <label
        >Ledger
        <select
          name="entry_id"
          @change=${(e: Event) => this._set("entry_id", (e.target as HTMLSelectElement).value)}
        >
          <option value="" ?selected=${!c.entry_id}>The first ledger</option>
          ${this._entries.map(
            (e) => html`<option value=${e.entry_id} ?selected=${e.entry_id === c.entry_id}>${e.title}</option>`,
          )}
        </select></label
      >
      <label
        >Vehicle
        <select
          name="vehicle"
          @change=${(e: Event) => this._set("vehicle", (e.target as HTMLSelectElement).value)}
        >
          <option value="" ?selected=${!c.vehicle}>All vehicles</option>
          ${this._vehicles.map(
            (v) => html`<option value=${v.id} ?selected=${v.id === c.vehicle}>${v.name}</option>`,
          )}
        </select></label
      >
      <label
        >Show
        <select
          name="show"
          @change=${(e: Event) => this._set("show", (e.target as HTMLSelectElement).value)}
        >
          ${(["both", "sessions", "trips"] as const).map(
            (s) => html`<option value=${s} ?selected=${(c.show ?? "both") === s}>${s}</option>`,
          )}
        </select></label
      >
      <label
        >Records shown
        <input
          name="count"
          type="number"
          min="1"
          max="20"
          .value=${String(c.count ?? DEFAULT_COUNT)}
          @change=${(e: Event) =>
            this._set("count", Number((e.target as HTMLInputElement).value) || undefined)}
      /></label>
    </div>`;
  }

  static override styles = [
    shared,
    css`
      .editor {
        display: flex;
        flex-direction: column;
        gap: 12px;
      }
      label {
        display: flex;
        flex-direction: column;
        gap: 4px;
      }
    `,
  ];
}

if (!customElements.get("ev-ledger-card")) {
  customElements.define("ev-ledger-card", EvLedgerCard);
}
if (!customElements.get("ev-ledger-card-editor")) {
  customElements.define("ev-ledger-card-editor", EvLedgerCardEditor);
}

interface CustomCardInfo {
  type: string;
  name: string;
  description: string;
  preview?: boolean;
}

const registry = window as unknown as { customCards?: CustomCardInfo[] };
registry.customCards = registry.customCards ?? [];
if (!registry.customCards.some((c) => c.type === "ev-ledger-card")) {
  registry.customCards.push({
    type: "ev-ledger-card",
    name: "EV Ledger",
    description: "This month's charging and driving totals and the latest sessions and trips.",
    preview: true,
  });
}

declare global {
  interface HTMLElementTagNameMap {
    "ev-ledger-card": EvLedgerCard;
    "ev-ledger-card-editor": EvLedgerCardEditor;
  }
}
