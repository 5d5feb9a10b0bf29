"""Unit normalisation at the edge: HA state strings and units to canonical floats.

Canonical units are kW, kWh, %, km, km/h, °C, V and A. Every quantity has a table of
the unit strings Home Assistant writes and an exact rational factor (plus an offset for
temperature); nothing is guessed from the magnitude of a value.

Factors are kept as integer numerator/denominator pairs and applied as
`value * num / den`: with a power-of-ten denominator this is one correctly rounded
division (`to_kw(x, "W") == x / 1000`), and `1 mi` is exactly `1.609344 km`.
"""

from __future__ import annotations

from collections import Counter
import math
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

from .model import Reject

if TYPE_CHECKING:
    from collections.abc import Mapping


class Scale(NamedTuple):
    """How to reach the canonical unit: `(value + offset) * num / den`."""

    num: int
    den: int
    offset: float = 0.0


class UnitTable:
    """Unit string to `Scale` for one quantity, with a case-tolerant fallback.

    The exact spelling is tried first. Failing that, a case-folded spelling is accepted
    only if it names a single unit of the table and is no milli/mega look-alike, so
    "kw" means kW but "mw" (mW or MW?), "mwh" and "mj" (mJ or MJ?) are refused.
    """

    __slots__ = ("_exact", "_folded", "canonical")

    def __init__(self, canonical: str, scales: Mapping[str, Scale]) -> None:
        self.canonical = canonical
        self._exact: Mapping[str, Scale] = MappingProxyType(dict(scales))
        counts = Counter(unit.casefold() for unit in scales)
        self._folded: Mapping[str, Scale] = MappingProxyType(
            {
                folded: scale
                for unit, scale in scales.items()
                if counts[folded := unit.casefold()] == 1
                # m (milli) and M (mega) differ only by case: "mj" could be mJ or MJ.
                and not (folded[:1] == "m" and folded[1:] in counts)
            }
        )

    @property
    def units(self) -> frozenset[str]:
        """The unit strings this table knows (exact spellings)."""
        return frozenset(self._exact)

    def scale(self, unit: str | None) -> Scale | None:
        """Return the scale for `unit`, or None if it is missing, unknown or ambiguous."""
        if unit is None:
            return None
        found = self._exact.get(unit)
        if found is None:
            found = self._folded.get(unit.strip().casefold())
        return found

    def convert(
        self, value: float, unit: str | None, default: str | None = None
    ) -> float | None:
        """Convert `value` to the canonical unit.

        Args:
            value: A finite number in `unit`.
            unit: The entity's `unit_of_measurement`; None or "" means it has none.
            default: The unit to assume when the entity has none (configured by the
                user); never used to override a unit the entity does state.

        Returns:
            The value in the canonical unit, or None when the unit is missing (and no
            default is given), unknown or ambiguous: the caller rejects the reading
            with `Reject.BAD_UNIT`.
        """
        found = self.scale(unit if unit else default)
        if found is None:
            return None
        num, den, offset = found
        if offset:
            value += offset
        return value * num / den


def _si(canonical_exponent: int, **prefix_exponents: int) -> dict[str, Scale]:
    """Scales for units that differ from the canonical one by powers of ten."""
    scales = {}
    for unit, exponent in prefix_exponents.items():
        shift = exponent - canonical_exponent
        scales[unit] = Scale(10**shift, 1) if shift >= 0 else Scale(1, 10**-shift)
    return scales


POWER = UnitTable(
    "kW",
    {
        "mW": Scale(1, 1_000_000),
        "W": Scale(1, 1_000),
        "kW": Scale(1, 1),
        "MW": Scale(1_000, 1),
        "GW": Scale(1_000_000, 1),
        "TW": Scale(1_000_000_000, 1),
    },
)

ENERGY = UnitTable(
    "kWh",
    {
        "mWh": Scale(1, 1_000_000),
        "Wh": Scale(1, 1_000),
        "kWh": Scale(1, 1),
        "MWh": Scale(1_000, 1),
        "GWh": Scale(1_000_000, 1),
        "TWh": Scale(1_000_000_000, 1),
        # 1 kWh = 3.6 MJ
        "J": Scale(1, 3_600_000),
        "kJ": Scale(1, 3_600),
        "MJ": Scale(10, 36),
        "GJ": Scale(10_000, 36),
    },
)

# Lengths in units of 0.1 mm so that every factor is an integer ratio.
LENGTH = UnitTable(
    "km",
    {
        "mm": Scale(1, 1_000_000),
        "cm": Scale(1, 100_000),
        "m": Scale(1, 1_000),
        "km": Scale(1, 1),
        "in": Scale(254, 10_000_000),
        "ft": Scale(3_048, 10_000_000),
        "yd": Scale(9_144, 10_000_000),
        "mi": Scale(1_609_344, 1_000_000),
        "nmi": Scale(1_852, 1_000),
    },
)

SPEED = UnitTable(
    "km/h",
    {
        "km/h": Scale(1, 1),
        "mph": Scale(1_609_344, 1_000_000),
        "m/s": Scale(36, 10),
        "kn": Scale(1_852, 1_000),
        "ft/s": Scale(109_728, 100_000),
        "in/s": Scale(9_144, 100_000),
        "mm/s": Scale(36, 10_000),
    },
)

TEMPERATURE = UnitTable(
    "°C",
    {
        "°C": Scale(1, 1),
        "°F": Scale(5, 9, -32.0),
        "K": Scale(1, 1, -273.15),
        # Look-alikes some integrations write: the º ordinal and the ℃/℉ symbols.
        "ºC": Scale(1, 1),
        "ºF": Scale(5, 9, -32.0),
        "℃": Scale(1, 1),
        "℉": Scale(5, 9, -32.0),
    },
)

PERCENT = UnitTable("%", {"%": Scale(1, 1)})

VOLTAGE = UnitTable("V", _si(0, mV=-3, V=0, kV=3))

CURRENT = UnitTable("A", _si(0, mA=-3, A=0))


def to_kw(value: float, unit: str | None, default: str | None = None) -> float | None:
    """Convert a power to kW (W, kW, MW, mW, GW, TW); None if the unit is unusable."""
    return POWER.convert(value, unit, default)


def to_kwh(value: float, unit: str | None, default: str | None = None) -> float | None:
    """Convert an energy to kWh (mWh…TWh, J…GJ); None if the unit is unusable."""
    return ENERGY.convert(value, unit, default)


def to_km(value: float, unit: str | None, default: str | None = None) -> float | None:
    """Convert a distance to km (mm, cm, m, km, in, ft, yd, mi, nmi)."""
    return LENGTH.convert(value, unit, default)


def to_kmh(value: float, unit: str | None, default: str | None = None) -> float | None:
    """Convert a speed to km/h (km/h, mph, m/s, kn, ft/s, in/s, mm/s)."""
    return SPEED.convert(value, unit, default)


def to_celsius(
    value: float, unit: str | None, default: str | None = None
) -> float | None:
    """Convert a temperature to °C (°C, °F, K)."""
    return TEMPERATURE.convert(value, unit, default)


def to_percent(
    value: float, unit: str | None, default: str | None = None
) -> float | None:
    """Accept a percentage ("%"); None for any other unit."""
    return PERCENT.convert(value, unit, default)


def to_volts(
    value: float, unit: str | None, default: str | None = None
) -> float | None:
    """Convert a voltage to V (mV, V, kV)."""
    return VOLTAGE.convert(value, unit, default)


def to_amperes(
    value: float, unit: str | None, default: str | None = None
) -> float | None:
    """Convert a current to A (mA, A)."""
    return CURRENT.convert(value, unit, default)


def parse_float(text: str | float) -> float | Reject:
    """Parse a Home Assistant state (or attribute) into a finite float.

    Accepts what Python's `float` accepts after trimming whitespace ("12.5", "1e3",
    " 7 "). Returns `Reject.NOT_NUMERIC` for text that is no number ("", "unknown",
    "unavailable", "on", booleans) and `Reject.NOT_FINITE` for "nan"/"inf".
    """
    if isinstance(text, bool):
        return Reject.NOT_NUMERIC
    try:
        value = float(text)
    except (TypeError, ValueError):
        return Reject.NOT_NUMERIC
    if not math.isfinite(value):
        return Reject.NOT_FINITE
    return value


def parse_number(text: str | float) -> float | None:
    """Parse a Home Assistant state into a finite float, None if it is not one."""
    value = parse_float(text)
    return None if isinstance(value, Reject) else value
