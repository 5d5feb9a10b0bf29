"""Normalising the state text other integrations report into EV Ledger values.

Integrations spell the same fact in many ways: ``charge_in_progress``, ``IN_PROGRESS``,
``connected_charging``, ``Smart Charging``, ``Lädt``. Each function here first looks the
normalised text up in an exact table (where one brand's word would be misread by a
keyword, e.g. Wallbox's ``Ready`` means *no car*), then falls back to ordered keyword
rules for free text. Anything not understood is ``None``: the caller rejects it with
``Reject.BAD_VALUE`` rather than guessing.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
import unicodedata

from .model import ChargeState, ChargeType

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

# Gap spellings Home Assistant itself uses; anything else is a value to interpret.
_GAPS = frozenset({"", "unknown", "unavailable"})

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])")
_ACRONYM = re.compile(r"(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[\W_]+")

# Enum values some brands prefix with the field name (Polestar:
# CHARGING_STATUS_CHARGING, CHARGER_CONNECTION_STATUS_CONNECTED; Volvo:
# charging_system_done, connection_status_connected_ac).
_VALUE_PREFIXES = (
    "charger connection status ",
    "charging status ",
    "charge status ",
    "charging system ",
    "connection status ",
)

# Protobuf enum names keep their type as a PascalCase prefix when a bridge publishes
# them as they are (Tesla Fleet Telemetry over MQTT: DetailedChargeStateCharging,
# ShiftStateD, FastChargerACSingleWireCAN). The prefix has no word break of its own
# to split on (ShiftStateD), so it is cut from the raw text.
_ENUM_TYPE_PREFIX = re.compile(
    r"^(?:DetailedChargeState|ChargeState|ChargingState|ShiftState|FastCharger|CableType)"
    r"(?=[A-Z])"
)


def normalise(text: str) -> str:
    """Fold text to lower-case ASCII-ish words separated by single spaces.

    camelCase and PascalCase identifiers are split (``readyForCharging`` →
    ``ready for charging``, ``NoPower`` → ``no power``) but short acronyms stay whole
    (``SoC`` → ``soc``); accents are dropped so translated text matches plain tables.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    split = _ACRONYM.sub(" ", _CAMEL.sub(" ", stripped))
    return " ".join(_NON_WORD.sub(" ", split.casefold()).split())


def is_gap(text: str | None) -> bool:
    """Whether a state means "no data": None, empty, ``unknown`` or ``unavailable``."""
    return text is None or text.strip().casefold() in _GAPS


def _enum_value(text: str) -> str:
    """The text without a protobuf enum's type prefix (``ShiftStateD`` → ``D``)."""
    return _ENUM_TYPE_PREFIX.sub("", text.strip())


def _value_key(text: str) -> str:
    key = normalise(_enum_value(text))
    for prefix in _VALUE_PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            return key[len(prefix) :]
    return key


def _words(*phrases: str, whole: bool = False) -> re.Pattern[str]:
    """A pattern matching any phrase at a word start (``charg`` finds ``charging``).

    With ``whole``, a phrase must also end at a word end (``ac`` is not ``active``).
    """
    alternatives = "|".join(re.escape(normalise(p)) for p in phrases)
    end = r"\b" if whole else ""
    return re.compile(rf"\b(?:{alternatives}){end}")


# Charging state --------------------------------------------------------------------

_DISCONNECTED = ChargeState.DISCONNECTED
_PLUGGED = ChargeState.PLUGGED
_CHARGING = ChargeState.CHARGING
_COMPLETE = ChargeState.COMPLETE
_NOT_CHARGING = ChargeState.NOT_CHARGING

# Exact spellings, normalised. Only words a keyword rule would get wrong, or that no
# keyword covers, need to be here; the rest is for readability of what brands send.
_CHARGE_STATE_TABLE: Mapping[str, ChargeState | None] = {
    # Binary sensors and switches: "off" only says "not charging" and nothing about
    # the plug (NOT_CHARGING); the plug comes from its own role, else sessions are
    # anchored on charging activity.
    "on": _CHARGING,
    "true": _CHARGING,
    "off": _NOT_CHARGING,
    "false": _NOT_CHARGING,
    # Tesla Fleet / Teslemetry / Tessie
    "starting": _PLUGGED,
    "stopped": _PLUGGED,
    "no power": _PLUGGED,
    # VW ID (WeConnect)
    "ready for charging": _PLUGGED,
    "not ready for charging": _DISCONNECTED,
    "conservation": _COMPLETE,
    "discharging": _PLUGGED,
    # BMW
    "plugged in": _PLUGGED,
    "not charging": _NOT_CHARGING,
    "default": None,
    # BMW CarData glues its words together: "charg" alone would read them all as
    # charging, the ended, paused and failed ones too.
    "chargingactive": _CHARGING,
    "chargingended": _COMPLETE,
    "chargingpaused": _PLUGGED,
    "chargingerror": None,
    "nocharging": _NOT_CHARGING,
    # Volvo and Polestar: "idle" is "not currently charging" (Volvo's Energy API);
    # the cable is their connection status's to say. A bare "idle" is a wallbox's
    # free connector (go-e, Pod Point) and stays no car.
    "charging system idle": _NOT_CHARGING,
    "charging status idle": _NOT_CHARGING,
    # V2C, SAIC (MG): "connected" outranks "not charging".
    "connected not charging": _PLUGGED,
    # IEC 61851 control-pilot states, as FordPass's "EVCC status", zappi and
    # SmartEVSE give them: A no vehicle, B vehicle connected, C charging (B1/C1:
    # the charger offers no current yet).
    "a": _DISCONNECTED,
    "b": _PLUGGED,
    "b1": _PLUGGED,
    "b2": _PLUGGED,
    "c": _CHARGING,
    "c1": _PLUGGED,
    "c2": _CHARGING,
    # OVMS charge state and substate, one word each.
    "topoff": _CHARGING,
    "timerwait": _PLUGGED,
    "powerwait": _PLUGGED,
    "onrequest": _PLUGGED,
    # Renault
    "not in charge": _DISCONNECTED,
    "energy flap opened": None,
    # FordPass
    "not ready": _DISCONNECTED,
    "evse not detected": _DISCONNECTED,
    "station not detected": _DISCONNECTED,
    # Wallboxes: go-e "Idle" and Wallbox "Ready"/"Locked" mean no car.
    "idle": _DISCONNECTED,
    "ready": _DISCONNECTED,
    "locked": _DISCONNECTED,
    "locked car connected": _PLUGGED,
    "ready to charge": _PLUGGED,
    "awaiting start": _PLUGGED,
    "awaiting authorization": _PLUGGED,
    "de authorizing": _PLUGGED,
    "connected charging": _CHARGING,
    "connected requesting": _PLUGGED,
    "connected finished": _COMPLETE,
    "sleeping": _PLUGGED,
    "active": None,
    "disabled": None,
    # Easee's sub-state once a car is on the cable.
    "authenticating": _PLUGGED,
    # go-e's German "car" state for a free charger.
    "inaktiv frei": _DISCONNECTED,
    # Pod Point: "waiting for schedule" is a free pod whose schedule blocks
    # charging ("connected waiting for schedule" has the car); "pending" is a
    # command the pod has not confirmed yet, nothing about a car.
    "waiting for schedule": _DISCONNECTED,
    "pending": None,
    # Hypervolt's "Charging Readiness" after the user stopped a charge: says
    # nothing about the cable.
    "not ready force stopped": _NOT_CHARGING,
    # Mercedes
    "charge break": _PLUGGED,
    "charging ends": _COMPLETE,
    "end of charge": _COMPLETE,
    # German "Ladebereit" (ready to charge) would read as "charging" by keyword.
    "ladebereit": _PLUGGED,
    # Skoda's "connect cable" asks for a cable: there is none.
    "connect cable": _DISCONNECTED,
    # OCPP's connector status: "Available" is a free connector, no car; OCPP 2.0's
    # "Occupied" is a connector with a car on it.
    "available": _DISCONNECTED,
    "occupied": _PLUGGED,
}

# Waiting for the cable to be pulled (Alfen "Finish Wait Disconnect", go-e's
# "Charging finished, car can be disconnected"): charging is over and the car is
# still there, not gone.
_STILL_ON_THE_CABLE = _words(
    "wait disconnect",
    "wait for disconnect",
    "waiting for disconnect",
    "can be disconnected",
    "can be unplugged",
)

# Free-text rules, first match wins. The order carries the meaning: negations and
# "waiting"/"paused" words are checked before the bare "charg" stem, and "charg" is
# only ever matched at a word start so "discharging" never reads as charging.
_CHARGE_STATE_RULES: tuple[tuple[ChargeState | None, re.Pattern[str]], ...] = (
    # "unknown charging state" (VW's WeConnect) is no charging.
    (None, re.compile(r"^unknown\b")),
    # Rivian's charging_station_err: "err" as a whole word ("erreicht" is German
    # for "reached", "erratic" Easee's erratic_ev).
    (None, _words("err", whole=True)),
    (
        None,
        _words(
            "error",
            "erratic",
            "fault",
            "fail",
            "invalid",
            "unsupported",
            "defect",
            "fehler",
            "storung",
        ),
    ),
    (_COMPLETE, _STILL_ON_THE_CABLE),
    (
        _DISCONNECTED,
        _words(
            "disconnect",
            "unplug",
            "not connected",
            "not plugged",
            "no car",
            "no vehicle",
            "no ev",
            "no cable",
            "not detected",
            "not ready",
            # openWB: "Keine Ladung, da kein Auto angesteckt ist."
            "kein auto",
            "kein fahrzeug",
            "nicht angesteckt",
            "abgesteckt",
            "nicht verbunden",
            "getrennt",
            "ausgesteckt",
            "debranche",
            "frakoblet",
            "frankopplad",
            "losgekoppeld",
            "niet verbonden",
        ),
    ),
    (
        _COMPLETE,
        _words(
            "complete",
            "finish",
            "fully charged",
            "charge ended",
            "charging ended",
            "done",
            "target reached",
            "purpose reached",
            "erreicht",
            "end of charge",
            "conserv",
            "abgeschlossen",
            "beendet",
            "termine",
            "voltooid",
            "fullfort",
            "ferdig",
        ),
    ),
    # openWB's reasons for not charging ("Keine Ladung, da der Lademodus Stop aktiv
    # ist.") name a stop or a schedule but say nothing about the car.
    (_NOT_CHARGING, _words("keine ladung", "kein laden")),
    (
        _PLUGGED,
        _words(
            "discharg",
            "paus",
            "suspend",
            "interrupt",
            "prepar",
            # Porsche's "Initialising": the car and the charger are still agreeing.
            "initialis",
            "initializ",
            "wait",
            "await",
            "schedul",
            "stop",
            "start",
            "ready",
            "pending",
            "request",
            # SAIC's CONNECTING, Rivian's charging_connecting, Tesla Wall
            # Connector's negotiating: the car is on the cable, not charging yet.
            "connecting",
            "negotiat",
            "geplant",
            "warte",
            "en attente",
        ),
    ),
    (_DISCONNECTED, _words("not in charge", "idle")),
    (
        _NOT_CHARGING,
        _words("not charging", "no charging", "non charging", "ladt nicht"),
    ),
    (
        _CHARGING,
        _words(
            "charg",
            "boost",
            "in progress",
            "lad",
            "laad",
            "oplad",
            "en charge",
            "recharg",
        ),
    ),
    (
        _PLUGGED,
        _words(
            "connected",
            "plugged",
            "verbunden",
            "eingesteckt",
            "branche",
            "tilkoblet",
            "ansluten",
            "verbonden",
        ),
    ),
)


def in_context(text: str, options: Sequence[str]) -> str:
    """A state text read with the entity's own list of states (an enum's `options`).

    ``ready`` alone means *no car* (Wallbox's ``Ready``). An entity whose states
    include a no-car state of their own (Tesla Wall Connector: ``not_connected``,
    ``connected``, ``ready``) means a car connected and ready to charge by it.

    ``none`` alone says nothing. Among charging states that have no no-car state
    of their own (Toyota: ``charge_complete``, ``charging``, ``none``,
    ``plugged``), it is the car with no cable in it.
    """
    key = _value_key(text)
    if not options or key not in ("ready", "none"):
        return text
    others = [
        charge_state(option)
        for option in options
        if isinstance(option, str) and _value_key(option) != key
    ]
    no_car = ChargeState.DISCONNECTED in others
    if key == "ready":
        return "ready to charge" if no_car else text
    if not no_car and {ChargeState.PLUGGED, ChargeState.CHARGING} <= set(others):
        return "not connected"
    return text


def charge_state(text: str) -> ChargeState | None:
    """Map a charging-state text of any brand or language to a canonical state.

    Returns None for gaps, error states and anything not understood.
    """
    if is_gap(text):
        return None
    key = _value_key(text)
    # The brand's whole spelling first: Volvo's charging_system_idle is not a bare
    # "idle".
    for spelling in (normalise(_enum_value(text)), key):
        if spelling in _CHARGE_STATE_TABLE:
            return _CHARGE_STATE_TABLE[spelling]
    for state, pattern in _CHARGE_STATE_RULES:
        if pattern.search(key):
            return state
    return None


def charge_state_implies_plug(state: ChargeState) -> bool | None:
    """What a charging state says about the plug: connected, disconnected or unknown."""
    if state is ChargeState.DISCONNECTED:
        return False
    if state in (ChargeState.PLUGGED, ChargeState.CHARGING, ChargeState.COMPLETE):
        return True
    return None  # NOT_CHARGING: a binary "charging" sensor knows nothing of the plug


# Plug ------------------------------------------------------------------------------

_PLUG_TABLE: Mapping[str, bool | None] = {
    "on": True,
    "true": True,
    "yes": True,
    "1": True,
    "connected": True,
    "plugged": True,
    "plugged in": True,
    "plugged waiting for charge": True,
    # Asked "is a car connected", "ready" means ready to charge (go-e / Wattpilot
    # "carConnected": no car, charging, ready, complete). As a charging state it is
    # Wallbox's "no car" (see `charge_state`), which a plug entity never says.
    "ready": True,
    # Tesla's charge-cable sensor names the cable standard when one is inserted.
    "iec": True,
    "sae": True,
    "gb ac": True,
    "gb dc": True,
    "off": False,
    "false": False,
    "no": False,
    "0": False,
    "disconnected": False,
    "unplugged": False,
    "not connected": False,
    "invalid": None,
    "plug error": None,
    "plug unknown": None,
}

_PLUG_FALSE = _words(
    "disconnect",
    "unplug",
    "not connected",
    "not plugged",
    "no cable",
    "no car",
    "no vehicle",
    "no ev",
    "nicht verbunden",
    "getrennt",
    "ausgesteckt",
    "debranche",
    "frakoblet",
    "frankopplad",
    "losgekoppeld",
    "niet verbonden",
)
_PLUG_TRUE = _words(
    "connected",
    "plugged",
    "cable in",
    "verbunden",
    "eingesteckt",
    "branche",
    "tilkoblet",
    "ansluten",
    "verbonden",
)


# KEBA's plug state names both ends of its cable: plugged on the charging station
# alone is a cable hanging from the wallbox, no car.
_WALLBOX_END = _words("on charging station", "on wallbox")
_CAR_END = _words("ev", "car", "vehicle", whole=True)


def plugged(text: str) -> bool | None:
    """Map a plug text (binary, enum, free text or a wallbox status) to True/False.

    Falls back to what a charging state implies, so a wallbox status such as
    ``connected_charging`` also answers "is a car plugged in".
    """
    if is_gap(text):
        return None
    if text.strip() == "<invalid>":  # Tesla's charge cable sensor with nothing inserted
        return False
    key = _value_key(text)
    if key in _PLUG_TABLE:
        return _PLUG_TABLE[key]
    if _WALLBOX_END.search(key):
        return bool(_CAR_END.search(key))
    if _STILL_ON_THE_CABLE.search(key):
        return True
    if _PLUG_FALSE.search(key):
        return False
    if _PLUG_TRUE.search(key):
        return True
    state = charge_state(text)
    return None if state is None else charge_state_implies_plug(state)


# Shift state -----------------------------------------------------------------------

_SHIFT_TABLE: Mapping[str, str] = {
    "p": "P",
    "park": "P",
    "parked": "P",
    "parking": "P",
    "parken": "P",
    "d": "D",
    "drive": "D",
    "driving": "D",
    "forward": "D",
    "fahren": "D",
    # Gears that still mean "moving forwards".
    "b": "D",
    "l": "D",
    "low": "D",
    "s": "D",
    "sport": "D",
    "m": "D",
    "manual": "D",
    "r": "R",
    "reverse": "R",
    "ruckwarts": "R",
    "n": "N",
    "neutral": "N",
}


def shift_state(text: str) -> str | None:
    """Map a gear/shift text to ``"P"``, ``"D"``, ``"R"`` or ``"N"``."""
    if is_gap(text):
        return None
    key = normalise(_enum_value(text))
    for prefix in ("gear ", "shift "):
        key = key.removeprefix(prefix)
    return _SHIFT_TABLE.get(key)


# Charger type ----------------------------------------------------------------------

_CHARGER_TYPE_TABLE: Mapping[str, ChargeType | None] = {
    "ac": ChargeType.AC,
    "dc": ChargeType.DC,
    "level 1": ChargeType.AC,
    "level 2": ChargeType.AC,
    "level 3": ChargeType.DC,
    "l1": ChargeType.AC,
    "l2": ChargeType.AC,
    "type 1": ChargeType.AC,
    "type 2": ChargeType.AC,
    "type1": ChargeType.AC,
    "type2": ChargeType.AC,
    "combo": ChargeType.DC,
    # Tesla reports the connector family; these two say nothing about AC/DC.
    "tesla": None,
    "gb": None,
}
_DC_WORDS = _words(
    "dc",
    "fast",
    "quick",
    "rapid",
    "hpc",
    "ccs",
    "ccs1",
    "ccs2",
    "chademo",
    "supercharger",
    "supercharging",
    "combo",
    whole=True,
)
_AC_WORDS = _words(
    "ac",
    "slow",
    "type 2",
    "type2",
    "mennekes",
    "j1772",
    "level 1",
    "level 2",
    "destination",
    whole=True,
)


def charger_type(text: str) -> ChargeType | None:
    """Map a charger/connector text to AC or DC, None when it does not say."""
    text = _enum_value(text)
    if is_gap(text):
        return None
    key = normalise(text)
    if key in _CHARGER_TYPE_TABLE:
        return _CHARGER_TYPE_TABLE[key]
    # Brand spellings such as "CHAdeMO" must not be split as if they were camelCase.
    keys = f"{key} | {' '.join(_NON_WORD.sub(' ', text.casefold()).split())}"
    # DC words first: "DC fast" and "CCS" beat the AC connector that shares the plug.
    if _DC_WORDS.search(keys):
        return ChargeType.DC
    if _AC_WORDS.search(keys):
        return ChargeType.AC
    return None
