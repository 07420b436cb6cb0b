"""Live passthrough of a child's output plus a bounded, scrubbed tail of it."""

from __future__ import annotations

import threading
from collections import deque

TYPE_CHECKING = False  # typing costs start-up that `opsctl run` cannot spare; annotations are strings here
if TYPE_CHECKING:
    from typing import BinaryIO



class Tail:
    """Last `max_lines` lines (and at most `max_bytes`) of several streams, in arrival order."""

    def __init__(self, max_lines: int = 50, max_bytes: int = 8192):
        self.max_lines, self.max_bytes = max_lines, max_bytes
        self._lines: deque[str] = deque()
        self._size = 0
        self._mutex = threading.Lock()

    def add(self, raw: bytes) -> None:
        from opsctl.scrub import scrub  # imported on the first line of output: a silent job never pays for it

        line = scrub(raw[-self.max_bytes :].decode("utf-8", "replace"))
        size = len(line.encode()) + 1
        with self._mutex:
            self._lines.append(line)
            self._size += size
            while len(self._lines) > self.max_lines or self._size > self.max_bytes:
                self._size -= len(self._lines.popleft().encode()) + 1

    def text(self) -> str:
        with self._mutex:
            joined = "\n".join(self._lines)
        if not joined:
            return ""
        from opsctl.scrub import scrub

        return scrub(joined)  # again, joined: catches secrets spanning lines (PEM blocks)


class Pump(threading.Thread):
    """Copy a pipe to `sink` chunk by chunk as it arrives; feed complete lines to `tail`."""

    def __init__(self, pipe: BinaryIO, sink: BinaryIO | None, tail: Tail):
        super().__init__(daemon=True)  # an escaped grandchild may keep the pipe open forever
        self.pipe, self.sink, self.tail = pipe, sink, tail
        self.last_line = b""  # last non-empty line, for the metrics convention

    def run(self) -> None:
        partial = b""
        while chunk := self.pipe.read1(65536):
            *lines, partial = (partial + chunk).split(b"\n")
            for line in lines:
                self._line(line)
            if len(partial) > self.tail.max_bytes:  # a huge line without newline
                self._line(partial)
                partial = b""
            self._write(chunk)
        if partial:
            self._line(partial)
        self.pipe.close()

    def _line(self, line: bytes) -> None:
        self.tail.add(line)
        if line.strip():
            self.last_line = line

    def _write(self, chunk: bytes) -> None:
        if self.sink is None:
            return
        try:
            self.sink.write(chunk)
            self.sink.flush()
        except (OSError, ValueError):
            self.sink = None  # our own stdout went away; keep draining so the job never blocks
