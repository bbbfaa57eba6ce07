"""conftest.run_cli, the CLI run in this process for speed, answers as ``python -m ha_lint``
answers and leaves this process as it found it."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from ha_lint import sourcetext

HA101_BAD = str(FIXTURES / "HA101" / "cfn_bad.yaml")


def process(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ha_lint", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


@pytest.mark.slow  # four real processes
def test_an_in_process_run_answers_as_a_process_does(tmp_path: Path) -> None:
    for args in ((HA101_BAD, "--select", "HA101", "--no-cache", "--format", "concise"),  # findings: exit 1
                 (HA101_BAD, "--select", "XX999"),  # a usage error: exit 2, said on standard error
                 ("explain", "HA101"),
                 ("stack.yaml", "--no-cache", "--no-config", "--format", "json")):  # relative to cwd
        (tmp_path / "stack.yaml").write_text(Path(HA101_BAD).read_text())
        inside, outside = run_cli(*args, cwd=tmp_path), process(*args, cwd=tmp_path)
        assert (inside.returncode, inside.stderr) == (outside.returncode, outside.stderr), args
        if "json" in args:  # the same report but for the time it took
            ours, theirs = json.loads(inside.stdout), json.loads(outside.stdout)
            del ours["summary"]["seconds"], theirs["summary"]["seconds"]
            assert ours == theirs and ours["findings"]
        else:
            assert inside.stdout == outside.stdout, args
    assert run_cli(HA101_BAD, "--select", "HA101", "--no-cache").returncode == 1


def test_the_process_is_left_as_it_was_found(tmp_path: Path) -> None:
    before = (os.getcwd(), dict(os.environ), sys.stdout, sys.stderr, gc.get_threshold(),
              signal.getsignal(signal.SIGALRM))
    run = run_cli(HA101_BAD, "--select", "HA101", "--no-cache", cwd=tmp_path, env={"NO_COLOR": "1", "HA_LINT_T": "x"})
    assert run.returncode == 1 and "HA101" in run.stdout
    after = (os.getcwd(), dict(os.environ), sys.stdout, sys.stderr, gc.get_threshold(),
             signal.getsignal(signal.SIGALRM))
    assert after == before
    help_run = run_cli("--help")  # argparse's own exit, caught
    assert help_run.returncode == 0 and "usage:" in help_run.stdout


def test_what_a_new_process_would_not_remember_is_forgotten(tmp_path: Path) -> None:
    """Lookups memoised by a file's path (a test rewrites files between two runs) and the
    modules of --rules-dir rule files."""
    template = tmp_path / "stack.yaml"
    template.write_text("one\n")
    assert sourcetext.region_lines(str(template), 1) == [(1, "one")]
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "nothing.py").write_text("from pathlib import Path\nPath(__file__).with_suffix('.loaded').touch()\n")
    assert run_cli(HA101_BAD, "--rules-dir", str(rules), "--select", "HA101", "--no-cache").returncode == 1
    assert (rules / "nothing.loaded").exists()  # the rule file was loaded ...
    assert not [name for name in sys.modules if name.startswith("ha_lint_user_rules")]  # ... and is forgotten
    template.write_text("two\n")
    assert sourcetext.region_lines(str(template), 1) == [(1, "two")]
