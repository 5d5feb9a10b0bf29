"""Proposing which of a device's entities feeds which EV Ledger role.

A device is first told apart: a car, a wallbox (which reports the car's charging and
sometimes its battery level) or an energy site (solar, grid, home battery, house
load). Each kind has its own roles.

Every (role, entity) pair is scored by a table of bonuses and penalties: device class,
unit, state class, domain, entity category, and words in the translation key, name
and object id. Tables read (and grow) better than if-chains, and each applied row
becomes a human-readable reason for the review step.

Decoys are the point of the exercise: the 12 V battery and the charge limit also have
device class ``battery``; drive power and "admissible charging power" sit next to the
charger power; "charge rate" has device class ``speed``; the route tracker is also a
``device_tracker``. They lose on words, never on position in the entity list: the
result is independent of input order. When two entities score the same for a role
and nothing tells them apart, neither is proposed: the user picks, the alphabet does
not.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import re
from typing import TYPE_CHECKING, Any

from . import vocab
from .mapping_rules import (
    COMMON_RULES,
    ENERGY_UNITS,
    POWER_UNITS,
    SPECS,
    Facts,
    RoleSpec,
    qualifies,
)
from .model import Role
from .site import SITE_ROLES

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


class DeviceKind(StrEnum):
    """What the entity set belongs to: the car, a wallbox or an energy site."""

    VEHICLE = "vehicle"
    WALLBOX = "wallbox"
    ENERGY_SITE = "energy_site"


VEHICLE_ROLES: tuple[Role, ...] = (
    Role.BATTERY_LEVEL,
    Role.CHARGING_STATE,
    Role.PLUGGED,
    Role.CHARGER_POWER,
    Role.CHARGER_VOLTAGE,
    Role.CHARGER_CURRENT,
    Role.SESSION_ENERGY,
    Role.EVSE_ENERGY,
    Role.ODOMETER,
    Role.SPEED,
    Role.SHIFT_STATE,
    Role.LOCATION,
    Role.RANGE,
    Role.OUTSIDE_TEMP,
    Role.CHARGER_TYPE,
)

# A wallbox knows nothing of odometers (some relay the car's battery level); a car
# has no wallbox meter; a site has its own roles.
_ROLES_BY_KIND: Mapping[DeviceKind, frozenset[Role]] = {
    DeviceKind.VEHICLE: frozenset(VEHICLE_ROLES) - {Role.EVSE_ENERGY},
    DeviceKind.WALLBOX: frozenset(
        {
            Role.BATTERY_LEVEL,
            Role.CHARGING_STATE,
            Role.PLUGGED,
            Role.CHARGER_POWER,
            Role.CHARGER_VOLTAGE,
            Role.CHARGER_CURRENT,
            Role.EVSE_ENERGY,
            Role.CHARGER_TYPE,
        }
    ),
    DeviceKind.ENERGY_SITE: frozenset(SITE_ROLES),
}

# Roles only a moving car fills; any good candidate for one means "this is a car".
_DRIVING = (Role.ODOMETER, Role.LOCATION, Role.SPEED, Role.SHIFT_STATE)
# What the wall side measures; a car without it is known by its battery alone.
_CHARGER_SIDE = (
    Role.CHARGER_POWER,
    Role.CHARGER_VOLTAGE,
    Role.CHARGER_CURRENT,
    Role.EVSE_ENERGY,
)
# A wallbox speaks of the car in the third person; a car's own integration does not.
_WALLBOX_WORDS = re.compile(
    r"\b(?:vehicle connected|car connected|vehicle battery|vehicle range|car state"
    r"|evse|wallbox|wall connector|charge point|chargepoint|charger mode"
    r"|station status)"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class EntityInfo:
    """What the entity registry and state machine tell about one entity."""

    entity_id: str
    domain: str
    device_class: str | None = None
    unit: str | None = None
    state_class: str | None = None
    name: str | None = None
    original_name: str | None = None
    translation_key: str | None = None
    options: tuple[str, ...] | None = None
    disabled: bool = False
    entity_category: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EntityInfo:
        """Build from a plain mapping (fixtures, diagnostics); unknown keys ignored.

        ``domain`` defaults to the entity id's prefix; ``unit_of_measurement`` is
        accepted as an alias of ``unit``.
        """
        entity_id = str(data["entity_id"])
        options = data.get("options")
        return cls(
            entity_id=entity_id,
            domain=str(data.get("domain") or entity_id.partition(".")[0]),
            device_class=data.get("device_class"),
            unit=data.get("unit", data.get("unit_of_measurement")),
            state_class=data.get("state_class"),
            name=data.get("name"),
            original_name=data.get("original_name"),
            translation_key=data.get("translation_key"),
            options=None if options is None else tuple(str(o) for o in options),
            disabled=bool(data.get("disabled", False)),
            entity_category=data.get("entity_category"),
        )


@dataclass(frozen=True, slots=True)
class Candidate:
    """One entity considered for a role, with its score and why."""

    entity_id: str
    score: int
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RoleProposal:
    """The pick for one role and the ranked runners-up for the review step."""

    role: Role
    chosen: Candidate | None
    alternatives: tuple[Candidate, ...]


@dataclass(frozen=True, slots=True)
class MappingProposal:
    """A proposed role mapping for one device, every role of its kind in order.

    A vehicle or wallbox lists the vehicle roles, an energy site the site roles.
    """

    kind: DeviceKind
    roles: tuple[RoleProposal, ...]

    def get(self, role: Role) -> RoleProposal:
        """The proposal for `role` (empty when the role does not apply)."""
        for proposal in self.roles:
            if proposal.role is role:
                return proposal
        return RoleProposal(role, None, ())

    @property
    def mapping(self) -> dict[Role, str]:
        """Role → chosen entity id, for the roles that got one."""
        return {p.role: p.chosen.entity_id for p in self.roles if p.chosen is not None}


# Scoring ---------------------------------------------------------------------------


def _tokens(text: str | None) -> list[str]:
    return vocab.normalise(text).split() if text else []


def _object_id(entity_id: str) -> str:
    return entity_id.partition(".")[2] or entity_id


def _common_prefix(token_lists: list[list[str]]) -> int:
    """How many leading tokens all lists share: usually the device's name."""
    if len(token_lists) < 2:
        return 0
    shortest = min(len(tokens) for tokens in token_lists)
    count = 0
    while count < shortest and len({t[count] for t in token_lists}) == 1:
        count += 1
    return count


def _strip_device_names(values: list[str | None]) -> list[str]:
    """Drop the device name old-style integrations put in front of every name.

    Otherwise a car called "Long Range" makes every entity look like a range sensor.
    """
    token_lists = [_tokens(v) for v in values]
    present = [t for t in token_lists if t]
    cut = _common_prefix(present)
    return [" ".join(tokens[cut:]) for tokens in token_lists]


def _device_name(entity_ids: list[str]) -> str:
    """The words every object id starts with: the device's name, if it has one."""
    token_lists = [t for t in (_tokens(_object_id(e)) for e in entity_ids) if t]
    return (
        " ".join(token_lists[0][: _common_prefix(token_lists)]) if token_lists else ""
    )


def _is_counter(info: EntityInfo) -> bool:
    """An energy counter: what the device counts says what the device is."""
    return info.domain == "sensor" and (
        info.device_class == "energy"
        or (info.device_class is None and info.unit in ENERGY_UNITS)
    )


def _is_power(info: EntityInfo) -> bool:
    return info.domain == "sensor" and (
        info.device_class == "power"
        or (info.device_class is None and info.unit in POWER_UNITS)
    )


def _facts(entities: list[EntityInfo]) -> list[Facts]:
    device = _device_name([e.entity_id for e in entities])
    object_ids = _strip_device_names([_object_id(e.entity_id) for e in entities])
    original = _strip_device_names([e.original_name for e in entities])
    names = _strip_device_names([e.name for e in entities])
    texts = [
        " | ".join(
            (" ".join(_tokens(info.translation_key)), original[i], names[i], obj)
        )
        for i, (info, obj) in enumerate(zip(entities, object_ids, strict=True))
    ]
    counters = " || ".join(
        sorted(t for info, t in zip(entities, texts, strict=True) if _is_counter(info))
    )
    powers = " || ".join(
        sorted(t for info, t in zip(entities, texts, strict=True) if _is_power(info))
    )
    return [
        Facts(info, text, device, counters, powers)
        for info, text in zip(entities, texts, strict=True)
    ]


def _score(spec: RoleSpec, facts: Facts, kind: DeviceKind | None) -> Candidate | None:
    if not qualifies(spec, facts.info):
        return None
    total = 0
    reasons: list[str] = []
    extra = spec.kind_rules.get(kind, ()) if kind is not None else ()
    for points, check in (*spec.rules, *extra, *COMMON_RULES):
        found = check(facts)
        if found is not None:
            total += points
            reasons.append(f"{found} ({points:+d})")
    return Candidate(facts.info.entity_id, total, tuple(reasons))


def _ranked(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Best first; ties by entity id so the input order never matters."""
    best: dict[str, Candidate] = {}
    for candidate in sorted(
        candidates, key=lambda c: (-c.score, c.entity_id, c.reasons)
    ):
        best.setdefault(candidate.entity_id, candidate)
    return list(best.values())


def _candidates(
    facts: list[Facts], roles: Iterable[Role], kind: DeviceKind | None = None
) -> dict[Role, list[Candidate]]:
    result: dict[Role, list[Candidate]] = {}
    for role in roles:
        spec = SPECS[role]
        scored = (_score(spec, f, kind) for f in facts)
        result[role] = _ranked(c for c in scored if c is not None and c.score > 0)
    return result


def _found(facts: list[Facts], roles: Iterable[Role]) -> set[Role]:
    """The roles some entity is a good enough candidate for."""
    return {
        role
        for role, ranked in _candidates(facts, roles).items()
        if ranked and ranked[0].score >= SPECS[role].min_score
    }


def detect_kind(entities: Iterable[EntityInfo]) -> DeviceKind:
    """Tell a car, a wallbox and an energy site apart by what their entities say.

    In order: anything that drives (odometer, tracker, speed, gear) is a car, unless
    its only sign is an odometer beside wallbox words (relayed by the wallbox); two or
    more site flows (solar, grid, home battery, house load) without wallbox words and
    without a plug are a site (a wallbox's own current clamps on the grid and the
    solar, as a myenergi zappi has, do not make it one; a home battery's "charging"
    does not make a site a wallbox); wallbox words
    ("vehicle connected", "car state", "EVSE") mean a wallbox;
    a range, or a battery level without any wall-side measurement, is a car; a single
    site flow with no charging state or plug is a site; the rest is a wallbox.
    """
    facts = _facts(list(entities))
    wallbox_words = any(_WALLBOX_WORDS.search(f.text) for f in facts)
    driving = _found(facts, _DRIVING)
    # A wallbox may relay the car's odometer (evcc's "Vehicle odometer"); only a car
    # moves (tracker, speed, gear).
    if driving and not (wallbox_words and driving == {Role.ODOMETER}):
        return DeviceKind.VEHICLE
    site = _found(facts, SITE_ROLES)
    plug = _found(facts, (Role.PLUGGED,))
    if len(site) >= 2 and not wallbox_words and not plug:
        return DeviceKind.ENERGY_SITE
    if wallbox_words:
        return DeviceKind.WALLBOX
    if _found(facts, (Role.RANGE,)) or (
        _found(facts, (Role.BATTERY_LEVEL,)) and not _found(facts, _CHARGER_SIDE)
    ):
        return DeviceKind.VEHICLE
    if site and not _found(facts, (Role.CHARGING_STATE, Role.PLUGGED)):
        return DeviceKind.ENERGY_SITE
    return DeviceKind.WALLBOX


def propose_mapping(
    entities: Iterable[EntityInfo], *, kind: DeviceKind | None = None
) -> MappingProposal:
    """Propose an entity for each role of a vehicle, wallbox or energy-site device.

    Each entity feeds at most one role: the strongest (role, entity) pairs are
    assigned first, so a charging-state enum is not also proposed as the plug. A
    role whose best free candidates tie is left empty (see the module docstring).
    ``kind`` defaults to what the entities look like (see `detect_kind`).
    """
    entity_list = list(entities)
    if kind is None:
        kind = detect_kind(entity_list)
    order = SITE_ROLES if kind is DeviceKind.ENERGY_SITE else VEHICLE_ROLES
    applicable = _ROLES_BY_KIND[kind]
    ranked = _candidates(
        _facts(entity_list), (r for r in order if r in applicable), kind
    )
    chosen = _assign(ranked, order)
    if kind is DeviceKind.ENERGY_SITE:
        _one_grid_shape(chosen)

    proposals = []
    for role in order:
        pick = chosen.get(role)
        others = tuple(c for c in ranked.get(role, ()) if c is not pick)
        proposals.append(RoleProposal(role, pick, others))
    return MappingProposal(kind, tuple(proposals))


def _assign(
    ranked: Mapping[Role, list[Candidate]], order: tuple[Role, ...]
) -> dict[Role, Candidate]:
    """Strongest pairs first; a role whose best free candidates tie gets none."""
    pairs = [
        (candidate, role)
        for role, candidates in ranked.items()
        for candidate in candidates
        if candidate.score >= SPECS[role].min_score
    ]
    pairs.sort(key=lambda p: (-p[0].score, order.index(p[1]), p[0].entity_id))
    chosen: dict[Role, Candidate] = {}
    tied: set[Role] = set()
    used: set[str] = set()
    for candidate, role in pairs:
        if role in tied or candidate.entity_id in used:
            continue
        pick = chosen.get(role)
        if pick is None:
            chosen[role] = candidate
            used.add(candidate.entity_id)
        elif pick.score == candidate.score:
            # Nothing but the entity id would decide: let the user choose.
            tied.add(role)
            used.discard(chosen.pop(role).entity_id)
    return chosen


def _one_grid_shape(chosen: dict[Role, Candidate]) -> None:
    """A site has a net grid meter or an import/export pair, never half a pair.

    The net meter wins, unless both halves of the pair score above it (a pair read
    at the grid connection's meter beside an inverter's own "grid power").
    """
    pair = (Role.GRID_IMPORT_POWER, Role.GRID_EXPORT_POWER)
    net = chosen.get(Role.GRID_POWER)
    if all(role in chosen for role in pair) and (
        net is None or all(chosen[role].score > net.score for role in pair)
    ):
        chosen.pop(Role.GRID_POWER, None)
        return
    for role in pair:
        chosen.pop(role, None)


# Entity reuse between vehicles ---------------------------------------------------

# What a wallbox measures on the wall side; two cars charging on one wallbox may share
# these. The roles that open and close sessions never: each car needs its own.
SHAREABLE_ROLES: frozenset[Role] = frozenset(
    {Role.CHARGER_POWER, Role.CHARGER_VOLTAGE, Role.CHARGER_CURRENT, Role.EVSE_ENERGY}
)
_CAR_SIGNALS = (Role.CHARGING_STATE, Role.PLUGGED)


class ReuseError(StrEnum):
    """Why an entity cannot be used as this vehicle maps it."""

    IN_USE = "entity_in_use"
    SHARED_WITHOUT_CAR_SIGNAL = "shared_charger_needs_car_signal"
    WALLBOX_SIGNAL_ON_SHARED = "shared_charger_signal"


@dataclass(frozen=True, slots=True)
class ReuseProblem:
    """A role of the vehicle being saved that clashes with other vehicles."""

    error: ReuseError
    owners: tuple[str, ...]


def entity_reuse(
    mine: Mapping[Role, str],
    others: Iterable[tuple[str, Mapping[Role, str]]],
    device_of: Mapping[str, str] | None = None,
) -> dict[Role, ReuseProblem]:
    """Check a vehicle's mapping against the other vehicles' (name, mapping) pairs.

    An entity belongs to one vehicle. The exception is a shared wallbox: its power,
    voltage, current and meter may serve several cars in the same role, provided every
    car sharing it has a charging state or plug signal of its own: used by no other
    car and not from the shared wallbox (`device_of` maps entity ids to device ids).
    Otherwise the wallbox's readings would open a session on every car at once.
    """
    devices = device_of or {}
    vehicles = [(name, dict(roles)) for name, roles in others]
    owners_of: dict[str, set[str]] = {}
    for name, roles in vehicles:
        for entity_id in roles.values():
            owners_of.setdefault(entity_id, set()).add(name)

    problems: dict[Role, ReuseProblem] = {}
    shared: dict[Role, set[str]] = {}
    for role, entity_id in mine.items():
        owners = owners_of.get(entity_id)
        if not owners:
            continue
        if role in SHAREABLE_ROLES and all(
            {r for r, e in roles.items() if e == entity_id} == {role}
            for name, roles in vehicles
            if name in owners
        ):
            shared[role] = owners
        else:
            problems[role] = ReuseProblem(ReuseError.IN_USE, tuple(sorted(owners)))
    if not shared:
        return problems

    sharers = set().union(*shared.values())
    names = tuple(sorted(sharers))
    wallboxes = {devices[mine[role]] for role in shared if mine[role] in devices}

    def own_signals(roles: Mapping[Role, str], taken: set[str]) -> list[Role]:
        return [
            role
            for role in _CAR_SIGNALS
            if (entity_id := roles.get(role)) is not None
            and entity_id not in taken
            and devices.get(entity_id) not in wallboxes
        ]

    for role in _CAR_SIGNALS:
        if role not in problems and devices.get(mine.get(role, "")) in wallboxes:
            problems[role] = ReuseProblem(ReuseError.WALLBOX_SIGNAL_ON_SHARED, names)
    everyone = [(None, dict(mine)), *vehicles]
    cars_ok = all(
        own_signals(
            roles, {e for n, o in everyone if o is not roles for e in o.values()}
        )
        for name, roles in everyone
        if name is None or name in sharers
    )
    if not cars_ok:
        for role in shared:
            problems[role] = ReuseProblem(ReuseError.SHARED_WITHOUT_CAR_SIGNAL, names)
    return problems
