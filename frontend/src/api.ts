// The websocket API of EV Ledger (custom_components/ev_ledger/websocket_api.py) and
// the few Home Assistant commands the panel and the card need.
import type { UnitSystem } from "./format";

export interface Hass {
  callWS<T>(msg: Record<string, unknown>): Promise<T>;
  fetchWithAuth?(path: string, init?: RequestInit): Promise<Response>;
  config: {
    unit_system?: UnitSystem;
    currency?: string;
    time_zone?: string;
  };
  locale?: { language?: string };
  language?: string;
  user?: { is_admin?: boolean; name?: string };
}

export interface LedgerEntry {
  entry_id: string;
  title: string;
  state?: string;
}

export interface Vehicle {
  /** The device id: the API's vehicle filter takes it. */
  id: string;
  /** The vehicle's key (its subentry id). */
  key: string;
  name: string;
  /** The vehicle's row id in the ledger (uuid5 of its key). */
  rowId: string;
}

export interface SessionRow {
  id: string;
  vehicle_id: string;
  status?: string;
  source?: string;
  started_at: string | null;
  ended_at?: string | null;
  energy_kwh?: string | number | null;
  cost?: string | number | null;
  currency?: string | null;
  location_name?: string | null;
  location_override?: string | null;
  zone?: string | null;
  latitude?: string | number | null;
  longitude?: string | number | null;
  start_level?: string | number | null;
  end_level?: string | number | null;
  power_max_kw?: string | number | null;
  charging_seconds?: string | number | null;
  solar_kwh?: string | number | null;
  battery_kwh?: string | number | null;
  grid_kwh?: string | number | null;
  solar_share?: string | number | null;
  tariff?: Record<string, unknown> | null;
  flags?: string[] | null;
  notes?: string | null;
  cost_override?: string | number | null;
  energy_method?: string | null;
  [key: string]: unknown;
}

export interface SessionDetail extends SessionRow {
  windows?: { started_at: string; ended_at: string; energy_kwh: string }[];
  samples?: { ts: string | number; role: string; value: unknown }[];
}

export interface TripRow {
  id: string;
  vehicle_id: string;
  started_at: string | null;
  ended_at?: string | null;
  distance_km?: string | number | null;
  energy_kwh?: string | number | null;
  efficiency_wh_km?: string | number | null;
  outside_temp_c?: string | number | null;
  avg_speed_kmh?: string | number | null;
  start_zone?: string | null;
  end_zone?: string | null;
  /** The zones by the names the user knows (configured location, else the zone's). */
  start_place_name?: string | null;
  end_place_name?: string | null;
  duration_seconds?: string | number | null;
  flags?: string[] | null;
  [key: string]: unknown;
}

export interface TripDetail extends TripRow {
  route?: [string | number, number, number][];
}


export interface MonthTotals {
  month: string;
  sessions: number;
  energy_kwh: string | number | null;
  solar_kwh: string | number | null;
  grid_kwh: string | number | null;
  battery_kwh?: string | number | null;
  cost: string | number | null;
  currencies: string[];
  trips: number;
  distance_km: string | number | null;
  trip_energy_kwh: string | number | null;
}

export interface Summary {
  currency?: string | null;
  months: MonthTotals[];
  locations?: LocationTotals[];
  sources?: SourceTotals;
}

export interface LocationTotals {
  location: string;
  name: string | null;
  sessions: number;
  energy_kwh: string | number | null;
  solar_kwh: string | number | null;
  cost: string | number | null;
  currencies: string[];
}

export interface SourceTotals {
  solar_kwh?: string | number | null;
  battery_kwh?: string | number | null;
  grid_kwh?: string | number | null;
  unattributed_kwh?: string | number | null;
  energy_kwh?: string | number | null;
  cost?: string | number | null;
}

export interface ListFilters {
  vehicle?: string | null;
  location?: string | null;
  sort?: string | null;
  start?: string | null;
  end?: string | null;
  offset?: number;
  limit?: number;
}

export const DOMAIN = "ev_ledger";
export const PAGE_SIZE = 50;

function clean(filters: ListFilters): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(filters)) {
    if (value !== null && value !== undefined && value !== "") out[key] = value;
  }
  return out;
}

export async function ledgerEntries(hass: Hass): Promise<LedgerEntry[]> {
  const entries = await hass.callWS<LedgerEntry[]>({
    type: "config_entries/get",
    domain: DOMAIN,
  });
  return entries.map((e) => ({ entry_id: e.entry_id, title: e.title, state: e.state }));
}

interface DeviceEntry {
  id: string;
  name: string | null;
  name_by_user?: string | null;
  model?: string | null;
  config_entries: string[];
  identifiers: [string, string][];
}

/** The ledger's vehicles, from the device registry (readable by every user). */
export async function ledgerVehicles(hass: Hass, entryId: string): Promise<Vehicle[]> {
  const devices = await hass.callWS<DeviceEntry[]>({
    type: "config/device_registry/list",
  });
  const vehicles: Vehicle[] = [];
  for (const device of devices) {
    if (!device.config_entries.includes(entryId) || device.model !== "Vehicle") {
      continue;
    }
    const ident = device.identifiers.find(([domain]) => domain === DOMAIN);
    if (!ident) continue;
    vehicles.push({
      id: device.id,
      key: ident[1],
      name: device.name_by_user || device.name || ident[1],
      rowId: rowId(ident[1]),
    });
  }
  return vehicles.sort((a, b) => a.name.localeCompare(b.name));
}

export async function listRecords<T>(
  hass: Hass,
  kind: "sessions" | "trips",
  entryId: string,
  filters: ListFilters,
): Promise<{ rows: T[]; total: number; hasMore: boolean }> {
  const page = await hass.callWS<Record<string, unknown>>({
    type: `${DOMAIN}/${kind}`,
    entry_id: entryId,
    ...clean(filters),
  });
  return {
    rows: (page[kind] as T[] | undefined) ?? [],
    total: Number(page.total ?? 0),
    hasMore: Boolean(page.has_more),
  };
}

export async function getSession(
  hass: Hass,
  entryId: string,
  sessionId: string,
): Promise<SessionDetail> {
  const answer = await hass.callWS<{ session: SessionDetail }>({
    type: `${DOMAIN}/session`,
    entry_id: entryId,
    session_id: sessionId,
  });
  return answer.session;
}

export async function getTrip(
  hass: Hass,
  entryId: string,
  tripId: string,
): Promise<TripDetail> {
  const answer = await hass.callWS<{ trip: TripDetail }>({
    type: `${DOMAIN}/trip`,
    entry_id: entryId,
    trip_id: tripId,
  });
  return answer.trip;
}

export async function getSummary(
  hass: Hass,
  entryId: string,
  vehicle?: string | null,
  period: { start?: string; end?: string } = {},
): Promise<Summary> {
  return hass.callWS<Summary>({
    type: `${DOMAIN}/summary`,
    entry_id: entryId,
    ...clean({ vehicle, start: period.start, end: period.end }),
  });
}

export async function updateSession(
  hass: Hass,
  entryId: string,
  sessionId: string,
  changes: { cost?: number | null; location?: string | null; notes?: string | null },
): Promise<void> {
  await hass.callWS({
    type: `${DOMAIN}/session/update`,
    entry_id: entryId,
    session_id: sessionId,
    ...changes,
  });
}

export async function deleteSession(
  hass: Hass,
  entryId: string,
  sessionId: string,
): Promise<void> {
  await hass.callWS({
    type: `${DOMAIN}/session/delete`,
    entry_id: entryId,
    session_id: sessionId,
  });
}

// Row ids: the ledger stores a vehicle under uuid5(NAMESPACE, key) (db/rows.py).
export const NAMESPACE = "6f1c6a3e-5d0b-4d57-9a57-1f0c2e6b9c11";

function sha1(bytes: Uint8Array): Uint8Array {
  const length = bytes.length;
  const words = new Uint32Array((((length + 8) >> 6) + 1) * 16);
  for (let i = 0; i < length; i++) words[i >> 2] |= bytes[i] << (24 - (i % 4) * 8);
  words[length >> 2] |= 0x80 << (24 - (length % 4) * 8);
  words[words.length - 1] = length * 8;
  const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
  const w = new Uint32Array(80);
  for (let block = 0; block < words.length; block += 16) {
    for (let t = 0; t < 80; t++) {
      if (t < 16) w[t] = words[block + t];
      else {
        const x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16];
        w[t] = (x << 1) | (x >>> 31);
      }
    }
    let [a, b, c, d, e] = h;
    for (let t = 0; t < 80; t++) {
      const f =
        t < 20 ? (b & c) | (~b & d) : t < 40 ? b ^ c ^ d : t < 60 ? (b & c) | (b & d) | (c & d) : b ^ c ^ d;
      const k = t < 20 ? 0x5a827999 : t < 40 ? 0x6ed9eba1 : t < 60 ? 0x8f1bbcdc : 0xca62c1d6;
      const temp = (((a << 5) | (a >>> 27)) + f + e + k + w[t]) >>> 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = temp;
    }
    h[0] = (h[0] + a) >>> 0;
    h[1] = (h[1] + b) >>> 0;
    h[2] = (h[2] + c) >>> 0;
    h[3] = (h[3] + d) >>> 0;
    h[4] = (h[4] + e) >>> 0;
  }
  const out = new Uint8Array(20);
  h.forEach((value, i) => {
    out[i * 4] = value >>> 24;
    out[i * 4 + 1] = (value >>> 16) & 0xff;
    out[i * 4 + 2] = (value >>> 8) & 0xff;
    out[i * 4 + 3] = value & 0xff;
  });
  return out;
}

export function uuid5(namespace: string, name: string): string {
  const ns = namespace.replace(/-/g, "");
  const nsBytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) nsBytes[i] = parseInt(ns.slice(i * 2, i * 2 + 2), 16);
  const nameBytes = new TextEncoder().encode(name);
  const data = new Uint8Array(16 + nameBytes.length);
  data.set(nsBytes);
  data.set(nameBytes, 16);
  const hash = sha1(data).slice(0, 16);
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The row id of a vehicle key: the key itself when it is a UUID, else its uuid5. */
export function rowId(key: string): string {
  if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(key)) {
    return uuid5(NAMESPACE, key);
  }
  const hex = key.replace(/-/g, "").toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
