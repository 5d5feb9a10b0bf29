"""Time-of-use bands as text: one band per line, as people write them on a bill.

    Mon-Fri 07:00-22:00 0.32
    Mon-Fri 22:00-07:00 0.21
    Sat,Sun 0.19
    Jun-Sep 11:00-15:00 0.12

A line holds a price and optionally weekdays, a time range and months, in any order.
Missing weekdays mean every day, a missing time range the whole day, missing months
the whole year. Minutes no band covers are priced at the base price. Pure Python.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
import re
from typing import TYPE_CHECKING, Final

from .logic.tariff import TariffError, TouBand

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONTHS: Final = (
    "jan", "feb", "mar", "apr", "may", "jun",
    "jul", "aug", "sep", "oct", "nov", "dec",
)  # fmt: skip
_TIME_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_NAME_LIST = re.compile(r"^[a-z]{3}(?:-[a-z]{3})?(?:,[a-z]{3}(?:-[a-z]{3})?)*$")


# The highest price per kWh a band may have: the form's price fields stop there too.
MAX_PRICE: Final = Decimal(1000)


class BandError(ValueError):
    """A line is not a band; `line` is its 1-based number, `text` the line."""

    def __init__(self, line: int, text: str) -> None:
        super().__init__(f"line {line}: {text}")
        self.line = line
        self.text = text


class ShadowedBand(BandError):
    """A band never sets a price: the lines above it cover all its times.

    The first band that covers a minute prices it, so a later band wholly inside
    earlier ones ("Mon-Fri 0.20" then "Mon 0.30") is silently dead.
    """


def parse_bands(text: str) -> tuple[TouBand, ...]:
    """Parse the band lines (blank lines and `#` comments are skipped).

    Raises:
        BandError: The first line that is not a valid band.
    """
    bands = []
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            bands.append(_parse_line(line))
        except (TariffError, ValueError, InvalidOperation) as err:
            raise BandError(number, raw.strip()) from err
        lines.append((number, raw.strip()))
    if (dead := _first_shadowed(bands)) is not None:
        raise ShadowedBand(*lines[dead])
    return tuple(bands)


def _first_shadowed(bands: Sequence[TouBand]) -> int | None:
    """The index of the first band that prices no minute of any day, if any.

    Between two consecutive band edges every band matches all minutes or none, so
    the edges of each weekday and month are enough to look at.
    """
    edges = sorted({0, *(b.start for b in bands), *(b.end % 1440 for b in bands)})
    used: set[int] = set()
    for weekday in range(7):
        for month in range(1, 13):
            for edge in edges:
                for index, band in enumerate(bands):
                    if band.matches(weekday, month, edge):
                        used.add(index)
                        break
    return next((i for i in range(len(bands)) if i not in used), None)


def _parse_line(line: str) -> TouBand:
    price: Decimal | None = None
    times: tuple[int, int] | None = None
    weekdays: frozenset[int] | None = None
    months: frozenset[int] | None = None
    for token in line.lower().split():
        if (match := _TIME_RANGE.match(token)) is not None and times is None:
            times = (
                _minute(match[1], match[2], end=False),
                _minute(match[3], match[4]),
            )
        elif _NAME_LIST.match(token) and token[:3] in WEEKDAYS and weekdays is None:
            weekdays = _names(token, WEEKDAYS, first=0)
        elif _NAME_LIST.match(token) and token[:3] in MONTHS and months is None:
            months = _names(token, MONTHS, first=1)
        elif price is None:
            price = Decimal(token)
        else:
            raise ValueError(f"unexpected {token!r}")
    if price is None:
        raise ValueError("no price")
    if price > MAX_PRICE:
        raise ValueError("not a price per kWh")
    start, end = times or (0, 0)
    return TouBand(
        price=price,
        start=start,
        end=end,
        weekdays=weekdays or frozenset(),
        months=months or frozenset(),
    )


def _minute(hours: str, minutes: str, *, end: bool = True) -> int:
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > (1440 if end else 1439):
        raise ValueError("not a time of day")
    return value


def _names(token: str, names: Sequence[str], *, first: int) -> frozenset[int]:
    """`Mon-Fri,Sun` → {0, 1, 2, 3, 4, 6}; ranges may wrap (`Nov-Feb`)."""
    chosen: set[int] = set()
    for part in token.split(","):
        low, _, high = part.partition("-")
        start = names.index(low)
        stop = names.index(high or low)
        count = (stop - start) % len(names) + 1
        chosen.update((start + i) % len(names) + first for i in range(count))
    return frozenset(chosen)


def format_bands(bands: Iterable[TouBand]) -> str:
    """The text `parse_bands` reads back into the same bands."""
    lines = []
    for band in bands:
        parts = []
        if band.weekdays:
            parts.append(_format_names(band.weekdays, WEEKDAYS, first=0))
        if band.start or band.end:
            parts.append(f"{_hhmm(band.start)}-{_hhmm(band.end)}")
        parts.append(str(band.price))
        if band.months:
            parts.append(_format_names(band.months, MONTHS, first=1))
        lines.append(" ".join(parts))
    return "\n".join(lines)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _format_names(values: frozenset[int], names: Sequence[str], *, first: int) -> str:
    ordered = sorted(v - first for v in values)
    runs: list[list[int]] = []
    for value in ordered:
        if runs and value == runs[-1][-1] + 1:
            runs[-1].append(value)
        else:
            runs.append([value])
    return ",".join(
        names[run[0]].title()
        if len(run) == 1
        else f"{names[run[0]].title()}-{names[run[-1]].title()}"
        for run in runs
    )
