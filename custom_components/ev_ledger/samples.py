"""Batching raw samples on the event loop before they go to the writer.

Every accepted reading becomes a sample; handing them to the writer one by one would
cost a queue put and a lock per state change. They are collected for a second instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.core import callback

if TYPE_CHECKING:
    import asyncio

    from .db import Sample, Writer

FLUSH_AFTER_S: Final = 1.0
MAX_BATCH: Final = 1000


class SampleBuffer:
    """Collects samples and hands them to the writer in batches."""

    __slots__ = ("_batch", "_handle", "_loop", "_writer")

    def __init__(self, loop: asyncio.AbstractEventLoop, writer: Writer) -> None:
        self._loop = loop
        self._writer = writer
        self._batch: list[Sample] = []
        self._handle: asyncio.TimerHandle | None = None

    @callback
    def add(self, sample: Sample) -> None:
        """Queue one sample (flushed within a second, or at once when many wait)."""
        batch = self._batch
        batch.append(sample)
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
