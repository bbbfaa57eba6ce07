"""The per-file time limit (``--file-timeout``): a block that runs longer is interrupted by
SIGALRM (POSIX, main thread), and a block inside it can pause the clock (a module download
has time bounds of its own)."""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

from ha_lint.model import LoadError


class Timeout(BaseException):
    """The file's time is up. A BaseException, so that no ``except Exception`` in a parser
    (cfn-lint, lark) can mistake it for a syntax error and carry on."""


_ARMED = [False]  # a deadline is running (a late alarm after it ended must not raise)


_REPEAT = 0.1  # seconds: an alarm swallowed where exceptions are ignored (a __del__) fires again


def _on_alarm(signum: int, frame: Any) -> None:
    if _ARMED[0]:
        raise Timeout()


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise Timeout in the block after ``seconds``, and again every 0.1 s until the block
    ends (POSIX, main thread; 0: no limit). A timer already running (the caller's own alarm)
    is put back, less the time spent here."""
    if seconds <= 0 or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    started = time.monotonic()
    outer, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds, _REPEAT)
    _ARMED[0] = True
    try:
        yield
    finally:
        while True:  # an alarm landing in here must not skip the clean-up
            try:
                _ARMED[0] = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                if outer > 0:
                    signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 0.001), outer_interval)
                break
            except Timeout:
                continue


def timed_out(what: str, seconds: float) -> str:
    return f"took longer than {seconds:g} s to {what}; skipped (--file-timeout)"


@contextmanager
def paused() -> Iterator[None]:
    """The running ``deadline`` stops for the block and resumes with the time it had left."""
    if not _ARMED[0] or not hasattr(signal, "setitimer"):
        yield
        return
    left, interval = signal.setitimer(signal.ITIMER_REAL, 0)
    _ARMED[0] = False
    try:
        yield
    finally:
        _ARMED[0] = True
        signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), interval)


@contextmanager
def nested_stacks_deadline(template: str, seconds: float, errors: list[LoadError]) -> Iterator[None]:
    """The expansion of one top-level template's nested stacks, under the per-file deadline:
    when it runs out, one error names the template and the block ends (nothing is raised)."""
    try:
        with deadline(seconds):
            yield
    except Timeout:
        errors.append(LoadError(template, f"its nested stacks {timed_out('expand', seconds)}"))
