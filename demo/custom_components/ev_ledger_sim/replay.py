"""Replays the scenario's timeline into entity values at an accelerated pace.

No threads and no blocking: a timer (`async_track_time_interval`) wakes up a few
times per second, maps the real time elapsed to scenario time (`SimClock`) and
delivers every event that became due, in order, to the entities listening for its
key.

Every state carries its *simulated* timestamp (`hass.states.async_set(...,
timestamp=...)`): the simulated timeline starts at the real time the replay starts
and runs ahead of the wall clock at the replay's pace, so durations, average powers,
speeds and the sun seen by EV Ledger are physical. It never runs behind the wall
clock (a ledger's timeouts follow the wall clock too), and a restart continues after
the last timestamp written so time never goes backwards.
"""

from __future__ import annotations

from datetime import timedelta
import logging
import time
from typing import TYPE_CHECKING

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval

from .sim.scenario import Attributes, SimEvent, Value, timeline

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from datetime import datetime

    from .sim.clock import SimClock

_LOGGER = logging.getLogger(__name__)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SIM_TIME_KEY = "__sim_time__"


def scenario_label(offset_s: float) -> str:
    """`Tue 14:30` (week 2: `W2 Tue 14:30`) for a scenario offset, to the minute."""
    week, rest = divmod(int(offset_s), 7 * 86400)
    day, rest = divmod(rest, 86400)
    label = f"{WEEKDAYS[day]} {rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return f"W{week + 1} {label}" if week else label


class Replay:
    """The simulator's state: current values per key and the pending timeline."""

    def __init__(
        self, hass: HomeAssistant, clock: SimClock, *, seed: int, tick_s: float
    ) -> None:
        """Prepare the snapshot at the clock's start; nothing runs until `start`."""
        self._hass = hass
        self._clock = clock
        self._seed = seed
        self._tick = timedelta(seconds=tick_s)
        self._values: dict[str, tuple[Value, Attributes]] = {}
        self._listeners: dict[str, list[Callable[[], None]]] = {}
        self._events: Iterator[SimEvent] = iter(())
        self._pending: SimEvent | None = None
        self._started_at: float | None = None
        # Wall-clock time (Unix seconds) of the scenario's start: the simulated
        # timestamp of scenario second s is `_epoch + s - clock.start_s`.
        self._epoch = time.time()
        self._stamps: dict[str, float] = {}
        self._last_stamp = 0.0
        self._unsub_timer: CALLBACK_TYPE | None = None
        self.scenario_s = clock.start_s
        self.delivered = 0
        self._rewind()

    @property
    def running(self) -> bool:
        """Whether the timer is replaying."""
        return self._unsub_timer is not None

    @property
    def clock(self) -> SimClock:
        """The pace of the replay."""
        return self._clock

    def value(self, key: str) -> tuple[Value, Attributes] | None:
        """The current value and attributes of a key (None before its first)."""
        return self._values.get(key)

    def timestamp(self, scenario_s: float) -> float:
        """The simulated Unix timestamp of a scenario offset."""
        return self._epoch + scenario_s - self._clock.start_s

    def stamp(self, key: str) -> float:
        """The simulated Unix timestamp of a key's current value.

        Never earlier than anything written before (a state written while the
        replay is stopped gets the scenario time it stopped at).
        """
        stamp = self._stamps.get(key, self.timestamp(self.scenario_s))
        self._last_stamp = max(self._last_stamp, stamp)
        return self._last_stamp

    @callback
    def listen(self, key: str, update: Callable[[], None]) -> CALLBACK_TYPE:
        """Call `update` whenever `key` gets a new value; returns the remover."""
        self._listeners.setdefault(key, []).append(update)

        @callback
        def remove() -> None:
            self._listeners[key].remove(update)

        return remove

    @callback
    def start(self, clock: SimClock | None = None) -> None:
        """(Re)start the replay from the clock's start, optionally at a new pace."""
        self.stop()
        if clock is not None:
            self._clock = clock
        self._rewind()
        self._epoch = max(time.time(), self._last_stamp + 1)
        self._stamps.clear()
        self._notify_all()
        self._started_at = self._hass.loop.time()
        self._unsub_timer = async_track_time_interval(
            self._hass, self._on_tick, self._tick, name="ev_ledger_sim replay"
        )
        _LOGGER.info(
            "Replay started at %s (simulated timestamps from %s), %.0fx"
            " (catch-up %.0fx for %.1f real s)",
            scenario_label(self._clock.start_s),
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self._epoch)),
            self._clock.speed,
            self._clock.speed * self._clock.catch_up_factor,
            self._clock.catch_up_real_s,
        )

    @callback
    def stop(self) -> None:
        """Freeze the entities at their current values."""
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None

    def _rewind(self) -> None:
        """Load the snapshot at the clock's start and keep the rest pending."""
        self._values.clear()
        self._events = timeline(self._seed)
        self._pending = None
        self.scenario_s = self._clock.start_s
        self.delivered = 0
        for event in self._events:
            if event.offset > self._clock.start_s:
                self._pending = event
                break
            self._values[event.key] = (event.value, event.attributes)
        self._values[SIM_TIME_KEY] = (scenario_label(self.scenario_s), {})

    @callback
    def _on_tick(self, _now: datetime) -> None:
        if self._started_at is None:
            return
        self.advance_to(
            self._clock.scenario_s(self._hass.loop.time() - self._started_at)
        )

    @callback
    def advance_to(self, scenario_s: float) -> int:
        """Deliver every event due by `scenario_s`; returns how many were delivered."""
        count = 0
        while self._pending is not None and self._pending.offset <= scenario_s:
            event = self._pending
            self._values[event.key] = (event.value, event.attributes)
            self._stamps[event.key] = self.timestamp(event.offset)
            self._notify(event.key)
            count += 1
            self._pending = next(self._events, None)
        self.scenario_s = scenario_s
        self.delivered += count
        label = scenario_label(scenario_s)
        if self._values[SIM_TIME_KEY][0] != label:
            self._values[SIM_TIME_KEY] = (label, {})
            self._stamps[SIM_TIME_KEY] = self.timestamp(scenario_s)
            self._notify(SIM_TIME_KEY)
        return count

    def _notify(self, key: str) -> None:
        for update in self._listeners.get(key, ()):
            update()

    def _notify_all(self) -> None:
        for key in list(self._listeners):
            self._notify(key)
