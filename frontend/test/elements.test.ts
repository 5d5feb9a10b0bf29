import { afterEach, describe, expect, it, vi } from "vitest";
import "../src/panel";
import "../src/card";
import type { Hass } from "../src/api";

const ENTRY = "entry1";
const DEVICE = "device1";
const KEY = "01JABCDEF";
const ROW = "1a20fe95-35e3-543e-b9aa-9bf81c075fc6";

const session = {
  id: "s1",
  vehicle_id: ROW,
  status: "completed",
  started_at: "2026-03-02T10:00:00+00:00",
  ended_at: "2026-03-02T11:00:00+00:00",
  energy_kwh: "20.0000",
  cost: "6.0000",
  currency: "EUR",
  location_name: "Home",
  charging_seconds: "3600",
  start_level: "40",
  end_level: "80",
  solar_share: "0.25",
  flags: ["price_gap"],
  latitude: "52.5",
  longitude: "13.4",
};
const trip = {
  id: "t1",
  vehicle_id: ROW,
  started_at: "2026-03-03T08:00:00+00:00",
  ended_at: "2026-03-03T08:30:00+00:00",
  distance_km: "25.000",
  energy_kwh: "4.5",
  efficiency_wh_km: "180",
  outside_temp_c: "12",
  start_zone: "Home",
  end_zone: "Work",
};

function fakeHass(overrides: Partial<Hass> = {}): Hass & { calls: Record<string, unknown>[] } {
  const calls: Record<string, unknown>[] = [];
  const hass = {
    calls,
    config: { unit_system: { length: "km", temperature: "°C" }, currency: "EUR", time_zone: "UTC" },
    locale: { language: "en" },
    user: { is_admin: true },
    callWS: vi.fn(async (msg: Record<string, unknown>) => {
      calls.push(msg);
      switch (msg.type) {
        case "config_entries/get":
          return [{ entry_id: ENTRY, title: "Ledger", state: "loaded" }];
        case "config/device_registry/list":
          return [
            { id: DEVICE, name: "Demo EV", model: "Vehicle", config_entries: [ENTRY], identifiers: [["ev_ledger", KEY]] },
            { id: "site", name: "Home", model: "Energy site", config_entries: [ENTRY], identifiers: [["ev_ledger", "S"]] },
          ];
        case "ev_ledger/sessions":
          return { sessions: [session], total: 1, offset: 0, limit: 50, has_more: false };
        case "ev_ledger/trips":
          return { trips: [trip], total: 1, offset: 0, limit: 50, has_more: false };
        case "ev_ledger/summary":
          return {
            currency: "EUR",
            locations: [
              { location: "home", name: "Home", sessions: 3, energy_kwh: "60", solar_kwh: "20", cost: "15", currencies: ["EUR"] },
              { location: "work", name: "Work", sessions: 1, energy_kwh: "20", solar_kwh: "0", cost: "9", currencies: ["EUR"] },
            ],
            sources: { solar_kwh: "20", battery_kwh: "5", grid_kwh: "55", unattributed_kwh: "0", energy_kwh: "80", cost: "24" },
            months: [
              { month: "2026-03-01", sessions: 4, energy_kwh: "80", solar_kwh: "20", grid_kwh: "60", cost: "24", currencies: ["EUR"], trips: 2, distance_km: "50", trip_energy_kwh: "9" },
            ],
          };
        case "ev_ledger/session":
          return {
            session: {
              ...session,
              windows: [{ started_at: session.started_at, ended_at: session.ended_at, energy_kwh: "20" }],
              samples: [
                { ts: 1772445600, role: "charger_power", value: 11 },
                { ts: 1772445660, role: "charger_power", value: 10.9 },
                { ts: 1772445600, role: "battery_level", value: 40 },
                { ts: 1772445660, role: "battery_level", value: 41 },
              ],
            },
          };
        case "ev_ledger/trip":
          return { trip: { ...trip, route: [[1, 52.5, 13.4], [2, 52.51, 13.41], [3, 52.52, 13.45]] } };
        default:
          return null;
      }
    }),
    ...overrides,
  };
  return hass as unknown as Hass & { calls: Record<string, unknown>[] };
}

async function settle(el: HTMLElement & { updateComplete?: Promise<unknown> }): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    await el.updateComplete;
  }
}

afterEach(() => {
  document.body.innerHTML = "";
});

describe("ev-ledger-panel", () => {
  it("lists sessions with a monthly subtotal and opens one with its curve", async () => {
    const hass = fakeHass();
    const panel = document.createElement("ev-ledger-panel");
    panel.hass = hass;
    document.body.appendChild(panel);
    await settle(panel);
    const root = panel.shadowRoot!;
    const rows = root.querySelectorAll("table#sessions tr.row");
    expect(rows.length).toBe(1);
    expect(root.querySelector("tr.subtotal")!.textContent).toContain("4 sessions");
    expect(root.querySelector("tr.subtotal")!.textContent).toContain("€24.00");
    expect(rows[0].textContent).toContain("Home");
    expect(rows[0].textContent).toContain("25 %");
    const options = [...root.querySelectorAll("#vehicle option")].map((o) => o.textContent!.trim());
    expect(options).toEqual(["All vehicles", "Demo EV"]);

    (rows[0] as HTMLElement).click();
    await settle(panel);
    const detail = root.querySelector("#session-detail")!;
    expect(detail.querySelectorAll("path.curve").length).toBe(2);
    expect(detail.textContent).toContain("No price was known for part of the energy.");
    expect(detail.querySelector("textarea[name=notes]")).not.toBeNull();

    // Edit: the update command with the form's values.
    (detail.querySelector("textarea[name=notes]") as HTMLTextAreaElement).value = "hello";
    (detail.querySelector("form") as HTMLFormElement).dispatchEvent(new Event("submit", { cancelable: true }));
    await settle(panel);
    const update = hass.calls.find((c) => c.type === "ev_ledger/session/update");
    expect(update).toEqual({
      type: "ev_ledger/session/update",
      entry_id: ENTRY,
      session_id: "s1",
      cost: null,
      location: null,
      notes: "hello",
    });
  });

  it("filters by vehicle with the device id", async () => {
    const hass = fakeHass();
    const panel = document.createElement("ev-ledger-panel");
    panel.hass = hass;
    document.body.appendChild(panel);
    await settle(panel);
    const select = panel.shadowRoot!.querySelector("#vehicle") as HTMLSelectElement;
    select.value = DEVICE;
    select.dispatchEvent(new Event("change"));
    await settle(panel);
    const last = hass.calls.filter((c) => c.type === "ev_ledger/sessions").pop();
    expect(last).toMatchObject({ vehicle: DEVICE, offset: 0, limit: 50 });
  });

  it("filters by location and sorts, without subtotals out of time order", async () => {
    const hass = fakeHass();
    const panel = document.createElement("ev-ledger-panel");
    panel.hass = hass;
    document.body.appendChild(panel);
    await settle(panel);
    const root = panel.shadowRoot!;
    const location = root.querySelector("#location") as HTMLSelectElement;
    expect([...location.options].map((o) => o.textContent!.trim())).toEqual(["All places", "Home", "Work"]);
    location.value = "work";
    location.dispatchEvent(new Event("change"));
    await settle(panel);
    expect(hass.calls.filter((c) => c.type === "ev_ledger/sessions").pop()).toMatchObject({ location: "work" });
    // The subtotal is the page's own once a filter narrows the rows.
    expect(root.querySelector("tr.subtotal")!.textContent).toContain("1 session ·");
    const sort = root.querySelector("#sort") as HTMLSelectElement;
    sort.value = "cost";
    sort.dispatchEvent(new Event("change"));
    await settle(panel);
    expect(hass.calls.filter((c) => c.type === "ev_ledger/sessions").pop()).toMatchObject({ sort: "cost" });
    expect(root.querySelector("tr.subtotal")).toBeNull();
    const first = hass.calls.find((c) => c.type === "ev_ledger/sessions")!;
    expect("sort" in first).toBe(false); // the default is not sent
  });

  it("shows trips in miles for an imperial unit system, and a trip's route", async () => {
    const hass = fakeHass({
      config: { unit_system: { length: "mi", temperature: "°F" }, currency: "USD", time_zone: "UTC" },
    });
    const panel = document.createElement("ev-ledger-panel");
    panel.hass = hass;
    document.body.appendChild(panel);
    await settle(panel);
    (panel.shadowRoot!.querySelector('[data-tab="trips"]') as HTMLElement).click();
    await settle(panel);
    const table = panel.shadowRoot!.querySelector("table#trips")!;
    expect(table.textContent).toContain("Distance (mi)");
    expect(table.textContent).toContain("15.5");
    expect(table.textContent).toContain("53.6 °F");
    (table.querySelector("tr.row") as HTMLElement).click();
    await settle(panel);
    expect(panel.shadowRoot!.querySelector("#trip-detail path.route")).not.toBeNull();
  });

  it("draws charts and the map", async () => {
    const hass = fakeHass();
    const panel = document.createElement("ev-ledger-panel");
    panel.hass = hass;
    document.body.appendChild(panel);
    await settle(panel);
    (panel.shadowRoot!.querySelector('[data-tab="charts"]') as HTMLElement).click();
    await settle(panel);
    expect(panel.shadowRoot!.querySelectorAll("rect.bar.solar").length).toBe(3);
    // Per month (1), per source (1 of 3 bars is grid) and per location (2 "other" bars).
    expect(panel.shadowRoot!.querySelectorAll("rect.bar.from-grid").length).toBe(4);
    expect(panel.shadowRoot!.querySelectorAll("rect.bar.battery").length).toBe(1);
    expect(panel.shadowRoot!.textContent).toContain("Energy and cost by location");
    // Efficiency against outside temperature: one month, one point.
    expect(panel.shadowRoot!.querySelectorAll("circle.dot").length).toBe(1);
    expect(hass.calls.filter((c) => c.type === "ev_ledger/trips").pop()).toMatchObject({ limit: 200 });
    (panel.shadowRoot!.querySelector('[data-tab="map"]') as HTMLElement).click();
    await settle(panel);
    expect(panel.shadowRoot!.querySelectorAll(".place circle").length).toBe(1);
  });
});

describe("ev-ledger-card", () => {
  it("shows this month's totals and the latest records", async () => {
    const card = document.createElement("ev-ledger-card");
    card.setConfig({ type: "custom:ev-ledger-card", count: 3 });
    card.hass = fakeHass();
    document.body.appendChild(card);
    await settle(card);
    const text = (card.shadowRoot!.textContent ?? "").replace(/\s+/g, " ");
    expect(card.shadowRoot!.querySelectorAll("ul.sessions li").length).toBe(1);
    expect(card.shadowRoot!.querySelectorAll("ul.trips li").length).toBe(1);
    expect(text).toContain("Home → Work");
    expect(() => card.setConfig({ type: "custom:ev-ledger-card", show: "nope" as "both" })).toThrow();
  });

  it("is registered for the card picker with a stub and an editor", async () => {
    const registry = (window as unknown as { customCards: { type: string }[] }).customCards;
    expect(registry.some((c) => c.type === "ev-ledger-card")).toBe(true);
    const Card = customElements.get("ev-ledger-card") as unknown as {
      getStubConfig(): Record<string, unknown>;
      getConfigElement(): HTMLElement & { hass?: Hass; setConfig(c: unknown): void };
    };
    expect(Card.getStubConfig()).toMatchObject({ type: "custom:ev-ledger-card" });
    const editor = Card.getConfigElement();
    editor.setConfig({ type: "custom:ev-ledger-card" });
    editor.hass = fakeHass();
    document.body.appendChild(editor);
    await settle(editor as HTMLElement & { updateComplete?: Promise<unknown> });
    const changed = vi.fn();
    editor.addEventListener("config-changed", (e) => changed((e as CustomEvent).detail.config));
    const vehicle = editor.shadowRoot!.querySelector("select[name=vehicle]") as HTMLSelectElement;
    expect([...vehicle.options].map((o) => o.textContent!.trim())).toEqual(["All vehicles", "Demo EV"]);
    vehicle.value = DEVICE;
    vehicle.dispatchEvent(new Event("change"));
    expect(changed).toHaveBeenCalledWith({ type: "custom:ev-ledger-card", vehicle: DEVICE });
  });
});
