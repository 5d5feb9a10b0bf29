import { describe, expect, it } from "vitest";
import { rowId, uuid5, NAMESPACE } from "../src/api";
import {
  costBreakdown,
  csvUrl,
  describeTariff,
  distance,
  efficiency,
  extent,
  filenameOf,
  flagWording,
  fmtDuration,
  groupByMonth,
  monthOf,
  monthRange,
  monthlyEfficiency,
  num,
  placeName,
  placesOf,
  recentMonths,
  svgPath,
  temperature,
  tripEnds,
  unitsOf,
  zonedMidnight,
} from "../src/format";

describe("units", () => {
  it("follows Home Assistant's unit system", () => {
    expect(unitsOf({ length: "km", temperature: "°C" })).toEqual({ distance: "km", temperature: "°C" });
    expect(unitsOf({ length: "mi", temperature: "°F" })).toEqual({ distance: "mi", temperature: "°F" });
    expect(unitsOf(undefined)).toEqual({ distance: "km", temperature: "°C" });
  });
  it("converts distance, efficiency and temperature", () => {
    const us = unitsOf({ length: "mi", temperature: "°F" });
    expect(distance("160.9344", us)).toBeCloseTo(100);
    expect(efficiency("100", us)).toBeCloseTo(160.9344);
    expect(temperature("20", us)).toBe(68);
    expect(distance(null, us)).toBeNull();
    expect(temperature("junk", us)).toBeNull();
  });
  it("reads the API's decimal strings", () => {
    expect(num("10.5000")).toBe(10.5);
    expect(num("")).toBeNull();
    expect(num(undefined)).toBeNull();
    expect(num("NaN")).toBeNull();
  });
  it("formats durations", () => {
    expect(fmtDuration("6240.000")).toBe("1 h 44 min");
    expect(fmtDuration(300)).toBe("5 min");
    expect(fmtDuration(null)).toBe("—");
  });
});

describe("months", () => {
  it("finds local midnight across daylight saving time", () => {
    expect(zonedMidnight(2026, 3, 1, "Europe/Berlin").toISOString()).toBe("2026-02-28T23:00:00.000Z");
    expect(zonedMidnight(2026, 7, 1, "Europe/Berlin").toISOString()).toBe("2026-06-30T22:00:00.000Z");
    expect(zonedMidnight(2026, 7, 1, "America/New_York").toISOString()).toBe("2026-07-01T04:00:00.000Z");
    expect(zonedMidnight(2026, 7, 1, "UTC").toISOString()).toBe("2026-07-01T00:00:00.000Z");
  });
  it("gives a month's period and the month of an instant", () => {
    expect(monthRange("2026-12", "Europe/Berlin")).toEqual({
      start: "2026-11-30T23:00:00.000Z",
      end: "2026-12-31T23:00:00.000Z",
    });
    expect(monthRange("2026-13", "UTC")).toBeNull();
    expect(monthRange("", "UTC")).toBeNull();
    expect(monthOf("2026-02-28T23:30:00+00:00", "Europe/Berlin")).toBe("2026-03");
    expect(monthOf("2026-02-28T23:30:00+00:00", "UTC")).toBe("2026-02");
  });
  it("spans recent months up to the end of this one", () => {
    const range = recentMonths(new Date("2026-12-06T21:00:00Z"), 12, "UTC");
    expect(range).toEqual({ start: "2026-01-01T00:00:00.000Z", end: "2027-01-01T00:00:00.000Z" });
  });
});

describe("subtotals", () => {
  it("groups newest-first rows by local month and sums them", () => {
    const rows = [
      { started_at: "2026-03-02T10:00:00+00:00", energy_kwh: "10.5", cost: "3.00", currency: "EUR" },
      { started_at: "2026-03-01T08:00:00+00:00", energy_kwh: "4.5", cost: "1.50", currency: "EUR" },
      { started_at: "2026-02-28T23:30:00+00:00", energy_kwh: "2", cost: null, currency: "EUR" },
      { started_at: "2026-02-10T12:00:00+00:00", energy_kwh: "1", cost: "0.25", currency: "CHF" },
    ];
    const groups = groupByMonth(rows, "Europe/Berlin");
    expect(groups.map((g) => g.month)).toEqual(["2026-03", "2026-02"]);
    expect(groups[0].subtotal).toMatchObject({ count: 3, energyKwh: 17, cost: 4.5, currencies: ["EUR"] });
    expect(groups[1].subtotal).toMatchObject({ count: 1, energyKwh: 1, cost: 0.25, currencies: ["CHF"] });
  });
  it("sums trips' distance", () => {
    const [group] = groupByMonth(
      [
        { started_at: "2026-03-02T10:00:00Z", distance_km: "25.4" },
        { started_at: "2026-03-01T10:00:00Z", distance_km: "25.0" },
      ],
      "UTC",
    );
    expect(group.subtotal.distanceKm).toBeCloseTo(50.4);
  });
});

describe("words", () => {
  it("explains every flag and any other", () => {
    for (const flag of ["gap", "inferred", "counter_reset", "evse_mismatch", "capacity_estimated", "site_gap", "price_gap", "restored", "energy_unknown"]) {
      expect(flagWording(flag)).not.toContain("Flag “");
    }
    expect(flagWording("new_thing")).toBe("Flag “new thing”.");
  });
  it("describes tariffs and cost breakdowns", () => {
    expect(describeTariff({ kind: "fixed", price_per_kwh: "0.39", currency: "EUR", name: "Work charger" })).toBe(
      "Work charger: fixed 0.39 EUR/kWh",
    );
    expect(describeTariff({ kind: "time_of_use", bands: [{ price: "0.2" }, { price: "0.35" }], currency: "EUR" })).toBe(
      "time of use 0.2–0.35 EUR/kWh",
    );
    expect(describeTariff(null)).toBe("No tariff");
    expect(describeTariff({ kind: "price_entity", name: "Home", currency: "EUR", price_per_kwh: "0" })).toBe(
      "Home: price entity (dynamic) EUR",
    );
    expect(costBreakdown({ energy_cost: "5.39", session_fee: "1", time_cost: "0" }, "EUR", "en")).toBe(
      "energy €5.39 + session fee €1.00",
    );
    expect(costBreakdown({ cost_override: "3" }, "EUR", "en")).toBe("— (corrected by hand)");
  });
});

describe("download URL", () => {
  it("builds the CSV view's path with the filters set", () => {
    expect(csvUrl("abc", "sessions")).toBe("/api/ev_ledger/abc/sessions.csv");
    expect(
      csvUrl("abc", "trips", { vehicle: "dev1", start: "2026-03-01T00:00:00.000Z", end: "", location: null }),
    ).toBe("/api/ev_ledger/abc/trips.csv?vehicle=dev1&start=2026-03-01T00%3A00%3A00.000Z");
    expect(csvUrl("a/b", "sessions")).toBe("/api/ev_ledger/a%2Fb/sessions.csv");
  });
  it("takes the file name from Content-Disposition", () => {
    expect(filenameOf('attachment; filename="ev_ledger_sessions_1.csv"', "x.csv")).toBe("ev_ledger_sessions_1.csv");
    expect(filenameOf(null, "x.csv")).toBe("x.csv");
  });
});

describe("efficiency per month", () => {
  it("weighs by distance and averages the outside temperature", () => {
    const months = monthlyEfficiency(
      [
        { started_at: "2026-03-02T10:00:00Z", distance_km: "20", energy_kwh: "4", outside_temp_c: "10" },
        { started_at: "2026-03-05T10:00:00Z", distance_km: "30", energy_kwh: "5", outside_temp_c: "14" },
        { started_at: "2026-03-06T10:00:00Z", distance_km: "5", energy_kwh: null },
        { started_at: "2026-02-06T10:00:00Z", distance_km: "10", energy_kwh: "2" },
      ],
      "UTC",
    );
    expect(months.map((m) => m.month)).toEqual(["2026-02", "2026-03"]);
    expect(months[1]).toMatchObject({ trips: 3, distanceKm: 55, whPerKm: 180, outsideC: 12 });
    expect(months[0]).toMatchObject({ whPerKm: 200, outsideC: null });
  });
});

describe("places and charts", () => {
  it("groups sessions with coordinates by place", () => {
    const places = placesOf([
      { latitude: "52.39", longitude: "13.06", energy_kwh: "10", location_name: "Work" },
      { latitude: "52.3901", longitude: "13.0601", energy_kwh: "5", location_name: "Work" },
      { latitude: "52.52", longitude: "13.40", energy_kwh: "20", location_name: "home", location_override: "Home" },
      { latitude: null, longitude: null, energy_kwh: "99", location_name: "Nowhere" },
      { latitude: "51.0", longitude: "11.5", energy_kwh: "1" },
    ]);
    expect(places.map((p) => [p.name, p.sessions, p.energyKwh])).toEqual([
      ["Home", 1, 20],
      ["Work", 2, 15],
      ["51.000, 11.500", 1, 1],
    ]);
  });
  it("draws a path scaled into its box", () => {
    expect(svgPath([{ x: 0, y: 0 }, { x: 10, y: 5 }], { width: 100, height: 50 }, [0, 10], [0, 5])).toBe(
      "M0.0,50.0 L100.0,0.0",
    );
    expect(svgPath([{ x: 0, y: 0 }, { x: 10, y: 5 }], { width: 100, height: 50 }, [0, 10], [0, 5], true)).toBe(
      "M0.0,50.0 H100.0 V0.0",
    );
    expect(extent([])).toEqual([0, 1]);
    expect(extent([3])).toEqual([2.5, 3.5]);
  });
});

describe("row ids", () => {
  it("are the ledger's uuid5 of a vehicle key (db/rows.py)", () => {
    // uuid.uuid5(uuid.UUID(NAMESPACE), "01JABCDEF") in Python
    expect(uuid5(NAMESPACE, "01JABCDEF")).toBe("1a20fe95-35e3-543e-b9aa-9bf81c075fc6");
    expect(rowId("01JABCDEF")).toBe("1a20fe95-35e3-543e-b9aa-9bf81c075fc6");
    expect(rowId("6F1C6A3E-5D0B-4D57-9A57-1F0C2E6B9C11")).toBe(NAMESPACE);
  });
});

describe("place names", () => {
  it("prefer the server's name, then what was recorded", () => {
    expect(placeName({ place_name: "Home", location_name: "zone.home" })).toBe("Home");
    expect(placeName({ location_override: "Aunt's", zone: "not_home" })).toBe("Aunt's");
    expect(placeName({ location_name: "work" })).toBe("work");
    expect(placeName({})).toBe("Unknown place");
  });
  it("name a trip's ends", () => {
    expect(tripEnds({ start_zone: "home", start_place_name: "Home", end_zone: "work" })).toBe(
      "Home → work",
    );
    expect(tripEnds({})).toBe("? → ?");
  });
});
