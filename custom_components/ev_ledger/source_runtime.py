"""What a vehicle and an energy site share at runtime: mapped entities in, listeners out."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, Protocol

from homeassistant.core import HomeAssistant, callback

from .logic.model import Reading, Role

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .db import Writer
    from .logic.deadband import Deadband
    from .samples import SampleBuffer


class _Ledger(Protocol):
    @property
    def rejected(self) -> Mapping[Any, int]: ...


class SourceRuntime[LedgerT: _Ledger]:
    """One subentry's ledger, the entities feeding it and the entities showing it."""

    def __init__(
        self,
        hass: HomeAssistant,
        *,
        subentry_id: str,
        name: str,
        roles: dict[Role, str],
        ledger: LedgerT,
        writer: Writer,
        samples: SampleBuffer,
    ) -> None:
        self.hass = hass
        self.subentry_id = subentry_id
        self.name = name
        self.roles = roles
        self.by_entity = {entity_id: role for role, entity_id in roles.items()}
        self.ledger = ledger
        self.writer = writer
        self.samples = samples
        self.adapter_rejected: Counter[str] = Counter()
        # The ledger's deadband (`logic.deadband`), when the option is on.
        self.deadband: Deadband | None = None
        # Bumped whenever what `snapshot` returns may have changed (saves skip a
        # runtime whose sources all kept theirs).
        self.revision = 0
        self._listeners: list[Callable[[], None]] = []
        self._live_listeners: list[Callable[[], None]] = []

    def passes(self, reading: Reading) -> bool:
        """Whether `reading` goes on to the ledger and the store (the deadband)."""
        deadband = self.deadband
        return deadband is None or deadband.keep(reading)

    def deadband_figures(self) -> dict[str, Any]:
        """The deadband's state for the snapshot, its counts for diagnostics."""
        return {} if self.deadband is None else self.deadband.to_dict()

    @callback
    def async_add_listener(
        self, update: Callable[[], None], *, live: bool = False
    ) -> Callable[[], None]:
        """Call `update` whenever the figures change; return the remover.

        A `live` listener shows the open session's figures and is also called when
        only those moved (`async_notify(live_only=True)`).
        """
        listeners = self._live_listeners if live else self._listeners
        listeners.append(update)
        return lambda: listeners.remove(update)

    @callback
    def async_notify(self, *, live_only: bool = False) -> None:
        """Tell the entities that the figures changed.

        `live_only`: only the open session's figures can have moved (a data-minute
        of a charge, nothing completed); the other entities are refreshed by the
        next full notify, at the latest the minute tick's.
        """
        for update in list(self._live_listeners):
            update()
        if not live_only:
            for update in list(self._listeners):
                update()

    @property
    def rejected_total(self) -> int:
        """Readings refused by the adapter or the engine."""
        return sum(self.adapter_rejected.values()) + sum(self.ledger.rejected.values())


def held_json(reading: Reading | None) -> list[float | None] | None:
    """A held numeric reading, JSON-safe: [ts, value] (for the snapshot)."""
    if reading is None or not isinstance(reading.value, float | None):
        return None
    return [reading.ts, reading.value]


def held_reading(role: Role, data: Any) -> Reading | None:
    """A held reading back from `held_json` (None when missing or malformed)."""
    if not isinstance(data, list) or len(data) != 2:
        return None
    ts, value = data
    if not _number(ts) or not (value is None or _number(value)):
        return None
    return Reading(float(ts), role, None if value is None else float(value))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
