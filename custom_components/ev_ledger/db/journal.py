r"""Durable, bounded, append-only journal of records the database could not take yet.

Layout: numbered segment files `0000000001.jnl`… and a `checkpoint` file. A line is
`<crc32 hex> <weight> <json>\n`, where weight is how many rows the record stands for.
Appends are fsync'd per batch. A torn or corrupt tail (a crash mid-append) is cut off
when the journal is opened. Replay reads from the checkpoint in order; the checkpoint
moves (atomically, fsync'd) only after the database committed what was read, so a crash
during replay replays that chunk again, which idempotent upserts make harmless.

When appending would exceed `max_bytes`, the record is dropped and counted instead:
the journal never grows without bound and never raises into the writer.

Records hold user data (places, costs): the journal's folder is 0700 and its files
0600 (`private_dir`, `open_private`, also used for the quarantine file and exports).
"""

from __future__ import annotations

from dataclasses import dataclass
import json
import logging
import os
from pathlib import Path
from typing import IO, Any, Final
import zlib

from .sink import Record, weight

_LOGGER = logging.getLogger(__name__)

SEGMENT_SUFFIX = ".jnl"
CHECKPOINT = "checkpoint"
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024
PRIVATE_FILE: Final = 0o600
PRIVATE_DIR: Final = 0o700


def private_dir(folder: Path) -> None:
    """Create `folder` and its missing parents, readable by their owner only.

    Folders that exist already are left as they are.

    Raises:
        FileExistsError: A file stands where the folder should be.
    """
    missing: list[Path] = []
    parent = folder
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    for path in reversed(missing):
        path.mkdir(mode=PRIVATE_DIR, exist_ok=True)
    folder.mkdir(exist_ok=True)


def open_private(path: Path, mode: str) -> IO[Any]:
    """Open `path` to write ("w", "a", "wb", "ab"), created 0600 (or tightened to it)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
        return os.fdopen(fd, mode)
    except BaseException:
        os.close(fd)
        raise


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in the journal: segment number and byte offset."""

    segment: int
    offset: int


@dataclass(slots=True)
class Chunk:
    """Records read from the journal, and where the next read starts."""

    records: list[Record]
    end: Cursor
    weight: int
    size: int


def _encode(record: Record) -> bytes:
    body = json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode()
    return b"%08x %d %s\n" % (zlib.crc32(body), weight(record), body)


def _decode(line: bytes) -> tuple[Record, int] | None:
    try:
        crc_text, weight_text, body = line.rstrip(b"\n").split(b" ", 2)
        if int(crc_text, 16) != zlib.crc32(body):
            return None
        kind, payload = json.loads(body)
        return (kind, payload), int(weight_text)
    except ValueError:
        return None


class Journal:
    """The on-disk journal. Used by the writer thread only."""

    def __init__(
        self,
        folder: str | Path,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        segment_bytes: int = DEFAULT_SEGMENT_BYTES,
    ) -> None:
        """Open (and recover) the journal in `folder`, creating it if needed.

        Args:
            folder: A folder used by this journal only.
            max_bytes: Bound on the journal's size on disk.
            segment_bytes: Size at which a new segment file is started.
        """
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.segment_bytes = segment_bytes
        self.dropped = 0
        self.corrupt = 0
        private_dir(self.folder)
        self.folder.chmod(PRIVATE_DIR)  # a folder of its own (an older one was 0755)
        self._file: Any = None
        self._cursor = self._load_checkpoint()
        self.pending = 0  # rows (sample rows one by one) not yet replayed
        self.size = 0  # bytes not yet replayed
        self._recover()

    # Files ---------------------------------------------------------------------

    def _segment_path(self, number: int) -> Path:
        return self.folder / f"{number:010d}{SEGMENT_SUFFIX}"

    def _segments(self) -> list[int]:
        return sorted(
            int(path.stem)
            for path in self.folder.glob(f"*{SEGMENT_SUFFIX}")
            if path.stem.isdigit()
        )

    def _load_checkpoint(self) -> Cursor:
        try:
            segment, offset = (self.folder / CHECKPOINT).read_text().split()
            return Cursor(int(segment), int(offset))
        except (OSError, ValueError):
            return Cursor(0, 0)

    def _save_checkpoint(self, cursor: Cursor) -> None:
        tmp = self.folder / f"{CHECKPOINT}.tmp"
        with open_private(tmp, "w") as handle:
            handle.write(f"{cursor.segment} {cursor.offset}\n")
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(self.folder / CHECKPOINT)
        self._fsync_dir()

    def _fsync_dir(self) -> None:
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _recover(self) -> None:
        """Count what is left to replay and cut a torn tail off the last segment."""
        segments = self._segments()
        for number in segments:
            path = self._segment_path(number)
            if number < self._cursor.segment:
                path.unlink()
                continue
            start = self._cursor.offset if number == self._cursor.segment else 0
            good_end = start
            with path.open("rb") as handle:
                handle.seek(start)
                lines = handle.readlines()
            for index, line in enumerate(lines):
                decoded = _decode(line) if line.endswith(b"\n") else None
                if decoded is None:
                    if number == segments[-1] and index == len(lines) - 1:
                        break  # torn tail: cut below
                    self.corrupt += 1
                else:
                    self.pending += decoded[1]
                good_end += len(line)
                self.size += len(line)
            if number == segments[-1] and good_end < path.stat().st_size:
                _LOGGER.warning("Journal: cutting a torn record off %s", path.name)
                with path.open("r+b") as handle:
                    handle.truncate(good_end)
                    os.fsync(handle.fileno())
        if self.pending == 0:
            self._reset()

    def _reset(self) -> None:
        """Remove every segment and the checkpoint (all replayed)."""
        self._close_file()
        for number in self._segments():
            self._segment_path(number).unlink()
        (self.folder / CHECKPOINT).unlink(missing_ok=True)
        self._cursor = Cursor(0, 0)
        self.pending = 0
        self.size = 0

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _writable(self) -> Any:
        segments = self._segments()
        if self._file is None or self._file.tell() >= self.segment_bytes:
            self._close_file()
            number = segments[-1] if segments else max(self._cursor.segment, 1)
            path = self._segment_path(number)
            if path.exists() and path.stat().st_size >= self.segment_bytes:
                path = self._segment_path(number + 1)
            self._file = open_private(path, "ab")
            self._fsync_dir()
        return self._file

    # Public API ----------------------------------------------------------------

    @property
    def empty(self) -> bool:
        """Return True when nothing waits for replay."""
        return self.pending == 0

    def append(self, records: list[Record]) -> tuple[int, int]:
        """Append records durably (one fsync for the whole list).

        Returns:
            The rows appended and the rows dropped because the journal is full.
        """
        lines: list[bytes] = []
        appended = dropped = 0
        size = self.size
        for record in records:
            line = _encode(record)
            rows = weight(record)
            if size + len(line) > self.max_bytes:
                dropped += rows
                continue
            size += len(line)
            appended += rows
            lines.append(line)
        if lines:
            handle = self._writable()
            handle.write(b"".join(lines))
            handle.flush()
            os.fsync(handle.fileno())
            self.size = size
            self.pending += appended
        self.dropped += dropped
        return appended, dropped

    def read(self, max_rows: int) -> Chunk:
        """Read records from the checkpoint on, up to about `max_rows` rows."""
        if self._file is not None:
            self._file.flush()
        records: list[Record] = []
        rows = size = 0
        cursor = self._cursor
        for number in self._segments():
            if number < cursor.segment:
                continue
            offset = cursor.offset if number == cursor.segment else 0
            with self._segment_path(number).open("rb") as handle:
                handle.seek(offset)
                for line in handle:
                    if not line.endswith(b"\n"):
                        break
                    offset += len(line)
                    size += len(line)
                    decoded = _decode(line)
                    if decoded is None:
                        self.corrupt += 1
                        continue
                    records.append(decoded[0])
                    rows += decoded[1]
                    if rows >= max_rows:
                        return Chunk(records, Cursor(number, offset), rows, size)
            cursor = Cursor(number, offset)
        return Chunk(records, cursor, rows, size)

    def commit(self, chunk: Chunk) -> None:
        """Mark a chunk as written to the database."""
        self.pending = max(0, self.pending - chunk.weight)
        self.size = max(0, self.size - chunk.size)
        if self.pending == 0:
            self._reset()
            return
        self._cursor = chunk.end
        self._save_checkpoint(chunk.end)
        for number in self._segments():
            if number < chunk.end.segment:
                self._segment_path(number).unlink()

    def close(self) -> None:
        """Close the open segment."""
        self._close_file()
