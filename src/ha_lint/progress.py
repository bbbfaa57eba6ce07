"""The progress line on a terminal: "scanning 1,234/2,821 files…" on standard error, rewritten
in place while a long load runs, and erased before anything else is printed.

Only when standard error is a terminal (never in a pipe, a CI log or a file, so never mixed into
a report) and only once the run has lasted ``DELAY`` seconds (a quick scan prints nothing);
rewritten at most every ``INTERVAL`` seconds. The scan calls ``ProgressLine`` with each step's
text and with None when it ends (``ha_lint.scan.ScanSettings.progress``)."""

from __future__ import annotations

import os
import shutil
import sys
import time
from typing import TextIO

DELAY = 0.5  # seconds before the first line: a quick scan stays silent
INTERVAL = 0.1  # seconds between two rewrites
ERASE = "\r\x1b[K"  # back to the start of the line, clear to its end


class ProgressLine:
    def __init__(self, stream: TextIO, clock=time.monotonic) -> None:
        self.stream = stream
        self.clock = clock
        self.started = clock()
        self.shown_at: float | None = None
        self.visible = False

    def __call__(self, text: str | None) -> None:
        if text is None:
            self.clear()
            return
        now = self.clock()
        if now - self.started < DELAY or (self.shown_at is not None and now - self.shown_at < INTERVAL):
            return
        width = shutil.get_terminal_size((80, 24)).columns - 1
        dots = "\u2026" if (getattr(self.stream, "encoding", "") or "").lower().replace("-", "") == "utf8" else "..."
        line = text + dots
        if len(line) > width > len(dots):
            line = line[: width - len(dots)] + dots
        # Marked shown before it is written: Ctrl-C right after the write still erases it.
        self.shown_at, self.visible = now, True
        self._write(ERASE + line)

    def clear(self) -> None:
        if self.visible:
            self._write(ERASE)
            self.visible = False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: the scan goes on without the line
            self.visible = False


def for_terminal(stream: TextIO | None = None) -> ProgressLine | None:
    """A progress line on ``stream`` (standard error) when it is a terminal that can rewrite a
    line, else None."""
    stream = stream if stream is not None else sys.stderr
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return None
    if not tty or os.environ.get("TERM") == "dumb":
        return None
    return ProgressLine(stream)
