"""The progress line: on a terminal, a long load shows "scanning 12/345 files…" on standard
error, rewritten in place, throttled, erased before the report; never in a pipe, never in
the report. Each test runs the real CLI with standard error on a pseudo-terminal (pty)."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import FIXTURES

ERASE = "\r\x1b[K"
pytestmark = [pytest.mark.slow,  # the CLI in a process of its own on a pseudo-terminal
              pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")]


def run_on_terminal(*args: str, stdout_on_terminal: bool = False, cwd: Path | None = None) -> tuple[int, str, str]:
    """(exit code, what the terminal showed, standard output when it is a pipe)."""
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100"}
    piped = tempfile.TemporaryFile()  # a file, not a pipe nobody reads while the terminal is read
    process = subprocess.Popen([sys.executable, "-m", "ha_lint", *args], stdin=subprocess.DEVNULL,
                               stdout=slave if stdout_on_terminal else piped, stderr=slave, env=env, cwd=cwd)
    os.close(slave)
    shown = b""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the last writer closed the terminal
                break
            if not data:
                break
            shown += data
        elif process.poll() is not None:
            break
    code = process.wait(timeout=60)
    os.close(master)
    piped.seek(0)
    out = piped.read().decode()
    piped.close()
    return code, shown.decode("utf-8", "replace").replace("\r\n", "\n"), out


def progress_lines(shown: str) -> list[str]:
    return re.findall(r"\r\x1b\[K([^\r\n]*)", shown)


def test_a_long_scan_shows_its_progress_on_the_terminal_then_erases_it() -> None:
    started = time.monotonic()
    code, shown, out = run_on_terminal(str(FIXTURES), "--no-config", "--no-cache", "-j", "1", "--format", "json")
    took = time.monotonic() - started
    assert code == 1
    report = json.loads(out)  # standard output holds the report alone
    assert "\x1b" not in out and "scanning" not in out
    lines = [line for line in progress_lines(shown) if line]
    counts = [re.fullmatch(r"scanning ([\d,]+)/([\d,]+) files\u2026", line) for line in lines]
    counts = [(int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))) for m in counts if m]
    assert len(counts) >= 2, shown[:500]  # rewritten as the files load
    total = counts[0][1]
    assert total > 100 and report["summary"]["files"] > 100 and all(t == total for _, t in counts)
    assert [d for d, _ in counts] == sorted(d for d, _ in counts) and counts[-1][0] <= total
    assert any(line.startswith("checking ") for line in lines)
    assert len(lines) <= took / 0.1 + 2  # throttled: one rewrite a tenth of a second at most
    assert shown.endswith(ERASE)  # erased at the end: nothing left on the terminal's line
    assert "\n" not in shown  # one line, rewritten in place


def test_the_text_report_starts_on_a_clean_line() -> None:
    code, shown, _ = run_on_terminal(str(FIXTURES), "--no-config", "--no-cache", "-j", "1", stdout_on_terminal=True)
    assert code == 1
    last = shown.rfind(ERASE)
    assert last >= 0 and "scanning " in shown[:last]
    report = shown[last + len(ERASE):]
    assert not re.search(r"scanning [\d,]+/[\d,]+ files", report)
    assert str(FIXTURES) in report.splitlines()[0]  # the first file's heading, at the line's start
    assert re.search(r"^\d+ findings \(", report, re.M)


def test_a_quick_scan_and_a_pipe_show_no_progress(tmp_path: Path) -> None:
    code, shown, out = run_on_terminal(str(FIXTURES / "HA101" / "cfn_bad.yaml"), "--no-config", "--no-cache",
                                       "--format", "sarif")
    assert code == 1 and json.loads(out)["runs"]
    assert "scanning" not in shown  # done before the line would be worth showing
    piped = subprocess.run([sys.executable, "-m", "ha_lint", str(FIXTURES), "--no-config", "--no-cache", "-j", "1",
                            "--format", "json"], capture_output=True, text=True, timeout=300)
    assert piped.returncode == 1 and json.loads(piped.stdout)["findings"]
    assert "scanning" not in piped.stderr and "\r" not in piped.stderr and "\x1b" not in piped.stderr


def test_ctrl_c_erases_the_line_before_saying_interrupted() -> None:
    master, slave = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "ha_lint", str(FIXTURES), "--no-config", "--no-cache", "-j", "1",
                                "--format", "json", "-o", os.devnull], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=slave, env={**os.environ, "TERM": "xterm"})
    os.close(slave)
    shown = b""
    interrupted = False
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            shown += data
            if not interrupted and b"scanning " in shown:
                process.send_signal(signal.SIGINT)  # Ctrl-C while the line is shown
                interrupted = True
        elif process.poll() is not None:
            break
    code = process.wait(timeout=60)
    os.close(master)
    text = shown.decode("utf-8", "replace").replace("\r\n", "\n")
    assert interrupted and code == 130
    # on a clean line: the progress erased, then the message (a line that came after it is kept)
    assert ERASE + "ha-lint: interrupted\n" in text, repr(text[-300:])
    assert text.rstrip("\n").endswith("ha-lint: interrupted") or "scanning" not in text.rsplit(ERASE, 1)[1], \
        repr(text[-300:])
    assert "Traceback" not in text


def test_the_line_waits_half_a_second_is_throttled_and_fits_the_terminal(monkeypatch) -> None:
    import io

    from ha_lint.progress import ProgressLine, for_terminal

    monkeypatch.setenv("COLUMNS", "30")
    now = [100.0]
    stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    line = ProgressLine(stream, clock=lambda: now[0])
    line("scanning 1/9 files")  # at once: a quick scan shows nothing
    now[0] += 0.6
    line("scanning 2/9 files")
    now[0] += 0.05
    line("scanning 3/9 files")  # within a tenth of a second: skipped
    now[0] += 0.2
    line("evaluating 1,234 Terraform modules and units")  # cut to the terminal's width
    line(None)
    line(None)  # erased once
    stream.flush()
    written = stream.buffer.getvalue().decode()
    assert written == (ERASE + "scanning 2/9 files\u2026" + ERASE + "evaluating 1,234 Terraform m\u2026" + ERASE)
    assert for_terminal(io.StringIO()) is None  # not a terminal: no line
