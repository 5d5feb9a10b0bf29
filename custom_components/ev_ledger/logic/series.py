"""Minute series in snapshots: each settled minute is turned into JSON text once.

A snapshot is taken every few minutes. It holds the open session's energy per minute
(2,880 minutes after 48 hours) and an energy site's flows and coverage of the last
three days (about 30,000 minutes): built from scratch each time, that took
milliseconds on the event loop and grew with the session. Only the minutes that
changed since the last snapshot (in practice the last one or two) are new text now.
Consecutive minutes are written as runs, each minute's value without its number:
the site's snapshot is written every 15 minutes, to an SD card on many homes.
"""

from __future__ import annotations

from itertools import islice, takewhile
import json
import math
from typing import Any


class JsonText(str):
    """Text that is already JSON, so a snapshot writer may embed it as it is.

    `json.dumps` writes it as a string; the `from_dict` methods read either form
    (`pairs_from`).
    """

    __slots__ = ()


def _number(value: float) -> str:
    # repr is the shortest text that reads back as the same float (as JSON writers
    # do); a value that is not finite is written as JSON writers write it: null.
    return repr(value) if math.isfinite(value) else "null"


class SeriesText:
    """The JSON text of a `{minute: value}` dict, kept for its settled head.

    The text is a list of runs, `[[first, value, value, ...], ...]`: items that
    follow each other in the dict's order with consecutive minutes share a run, so
    a run of a day's minutes writes each minute's value and not its number (a pair
    `[minute, value]` is a run of one: snapshots written as pairs read the same).

    The owner lowers `changed` to every minute it changes (`changed = min(changed,
    minute)`: kept inline, it is on the hot path of every reading). The head of the
    dict, in its order, up to the first minute not before `settled`, is kept as
    text (its last run left open); it is thrown away when a change reaches it and
    rebuilt on the next call, so the text always equals the dict's.
    """

    __slots__ = ("_count", "_head", "_last", "_upto", "changed")

    def __init__(self) -> None:
        """Start with nothing kept."""
        self.reset()

    def reset(self) -> None:
        """Forget the kept text (minutes were removed or replaced)."""
        self._head = ""
        self._count = 0
        # The minute of the last item kept (its run is left open in `_head`).
        self._last: int | None = None
        # Every minute kept is before this one.
        self._upto: float = -math.inf
        # The earliest minute changed since the last `text`.
        self.changed: float = math.inf

    def text(self, data: dict[int, float], settled: float) -> JsonText:
        """`data` as JSON runs `[[first, value, ...], ...]`, in the dict's order."""
        if self.changed < self._upto or len(data) < self._count:
            self.reset()
        self.changed = math.inf
        count, upto, last = self._count, self._upto, self._last
        # The items not kept are the dict's last ones (new minutes are appended):
        # read from the end, so a snapshot costs the new minutes, not the series.
        new = list(islice(reversed(data.items()), len(data) - count))
        new.reverse()
        head: list[str] = [self._head] if count else []
        tail: list[str] = []
        previous = last
        for minute, value in new:
            if previous is None:
                part = f"[{minute},{_number(value)}"
            elif minute == previous + 1:
                part = f",{_number(value)}"
            else:
                part = f"],[{minute},{_number(value)}"
            previous = minute
            if not tail and minute < settled:
                head.append(part)
                count += 1
                upto = max(upto, minute + 1)
                last = minute
            else:
                tail.append(part)
        if count != self._count:
            self._head = "".join(head)
        self._count, self._upto, self._last = count, upto, last
        if not count and not tail:
            return JsonText("[]")
        return JsonText(f"[{self._head}{''.join(tail)}]]")


def drop_before(data: dict[int, Any], before: int) -> bool:
    """Drop the minutes before `before` from `data`; whether any were.

    A ledger's minutes are added as its time runs forward (stale readings are
    refused), so they ascend in the dict's order: the old ones are its first, and
    pruning costs the minutes dropped, not the three days kept.
    """
    old = list(takewhile(lambda minute: minute < before, data))
    for minute in old:
        del data[minute]
    return bool(old)


def pairs_from(value: Any) -> list[tuple[int, Any]]:
    """The `(minute, value)` pairs of a snapshot's minute series.

    It stored them as runs (`SeriesText`) or, before runs, as pairs; as a list or
    as its JSON text (`JsonText`).

    Raises:
        TypeError: Not a list of runs.
        ValueError: A run's first minute is not a number.
    """
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, list):
        raise TypeError("minute pairs must be a list")
    pairs: list[tuple[int, Any]] = []
    for run in value:
        if not isinstance(run, list) or len(run) < 2:
            raise TypeError("a minute run must be a list: [first, value, ...]")
        first = int(run[0])
        pairs.extend(zip(range(first, first + len(run) - 1), run[1:], strict=True))
    return pairs
