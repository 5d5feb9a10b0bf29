"""Batching raw samples on the event loop before they go to the writer.

Every accepted reading becomes a sample; handing them to the writer one by one would
cost a queue put and a lock per state change. They are collected for a second instead.

Samples that share a timestamp are numbered in the order the ledgers took them
(`SampleOrder`): a car that reports its shift state and the odometer that moved in
the same instant must be replayed in that order, or a recompute derives another trip.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.core import callback

if TYPE_CHECKING:
    import asyncio

    from .db import Sample, Writer

FLUSH_AFTER_S: Final = 1.0
MAX_BATCH: Final = 1000
# Samples are stored to the microsecond: instants closer than that are one instant.
_TICKS_PER_S: Final = 1_000_000


class SampleOrder:
    """Numbers the samples that share a timestamp in the order they are taken.

    Samples come in time order (Home Assistant stamps a state when it is set); the
    first sample of an instant gets `seq` 0, the next one 1, and so on.
    """

    __slots__ = ("_instant", "_seq")

    def __init__(self) -> None:
        self._instant: int | None = None
        self._seq = 0

    def __call__(self, sample: Sample) -> Sample:
        """The sample with its sequence number within its instant."""
        instant = round(sample.ts * _TICKS_PER_S)
        if instant == self._instant:
            self._seq += 1
        else:
            self._instant = instant
            self._seq = 0
        if sample.seq != self._seq:
            return sample._replace(seq=self._seq)
        return sample


class SampleBuffer:
    """Collects samples and hands them to the writer in batches."""

    __slots__ = ("_batch", "_handle", "_loop", "_order", "_writer")

    def __init__(self, loop: asyncio.AbstractEventLoop, writer: Writer) -> None:
        self._loop = loop
        self._writer = writer
        self._batch: list[Sample] = []
        self._handle: asyncio.TimerHandle | None = None
        self._order = SampleOrder()

    @callback
    def add(self, sample: Sample) -> None:
        """Queue one sample (flushed within a second, or at once when many wait).

        Samples of every vehicle and site of the ledger come through here, in the
        order the ledgers take them; that order is kept with them (`SampleOrder`).
        """
        batch = self._batch
        batch.append(self._order(sample))
        if len(batch) >= MAX_BATCH:
            self.flush()
        elif self._handle is None:
            self._handle = self._loop.call_later(FLUSH_AFTER_S, self.flush)

    @callback
    def flush(self) -> None:
        """Hand everything collected to the writer now."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._batch:
            batch, self._batch = self._batch, []
            self._writer.enqueue_samples(batch)
