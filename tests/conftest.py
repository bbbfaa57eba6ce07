from __future__ import annotations

import gc
import io
import logging
import os
import re
import signal
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CORPUS = ROOT.parent / "shared" / "corpus"

_EXPECT = re.compile(r"#\s*expect:\s*([A-Z]{2}\d{3}(?:\s*,\s*[A-Z]{2}\d{3})*)")


def expected_findings(directory: Path) -> set[tuple[str, int, str]]:
    """(path relative to directory, line, rule ID) declared in a fixture directory.

    YAML and HCL (``.tf``, Terragrunt's ``.hcl``): a trailing ``# expect: ID`` on the line; JSON: a ``<file>.expect`` sidecar
    with ``line: ID`` rows.
    """
    out: set[tuple[str, int, str]] = set()
    for path in sorted(directory.rglob("*")):
        if not path.is_file():
            continue
        rel = str(path.relative_to(directory))
        if path.suffix == ".expect":
            for row in path.read_text().splitlines():
                if row.strip():
                    line, _, rule = row.partition(":")
                    out.add((rel[: -len(".expect")], int(line), rule.strip()))
        elif path.suffix in (".yaml", ".yml", ".tf", ".template", ".hcl"):
            for number, text in enumerate(path.read_text().splitlines(), start=1):
                match = _EXPECT.search(text)
                if match:
                    for rule in match.group(1).split(","):
                        out.add((rel, number, rule.strip()))
    return out


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(autouse=True)
def _own_cache_directory(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test scans with a cache directory of its own (in-process and in the processes it
    starts): no test reads what another wrote, and none writes into the user's ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


# -- the command line, run in this process -----------------------------------------------------

@dataclass
class CliRun:
    """What one run of the command line left: the fields of subprocess.CompletedProcess that
    tests read, so a test reads an in-process run and a real process alike."""
    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: Path | str | None = None, env: dict[str, str] | None = None) -> CliRun:
    """``ha-lint ARGS`` as ``python -m ha_lint`` runs it, without the cost of a new process
    (start-up and imports, about a second each): ``cli.main`` in this process, in ``cwd`` with
    ``env`` added to the environment. Whatever a fresh process would not carry over is put
    back afterwards: the directory, the environment, standard output and error, the garbage
    collector's thresholds, the SIGALRM handler, logging handlers, rule modules loaded from a
    --rules-dir, and ha-lint's memoised lookups of files and directories (tests rewrite files
    in place between two runs). Keep real processes for what only a process shows: the
    installed entry point, signals, pre-commit and the GitHub Action."""
    from ha_lint.cli import main

    argv = [str(a) for a in args]
    stdout, stderr = _pipe(), _pipe()
    saved_streams, saved_cwd, saved_env = (sys.stdout, sys.stderr), os.getcwd(), dict(os.environ)
    saved_gc, saved_alarm = gc.get_threshold(), signal.getsignal(signal.SIGALRM)
    saved_handlers = {name: list(logging.getLogger(name).handlers) for name in ("", "cfnlint")}
    try:
        os.environ.update(env or {})
        if cwd is not None:
            os.chdir(cwd)
        sys.stdout, sys.stderr = stdout, stderr
        try:
            code = main(argv)
        except SystemExit as exc:  # what main does not catch ends a real process the same way
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if isinstance(exc.code, str):
                stderr.write(exc.code + "\n")
    finally:
        sys.stdout, sys.stderr = saved_streams
        os.chdir(saved_cwd)
        _restore_environment(saved_env)
        gc.set_threshold(*saved_gc)
        signal.signal(signal.SIGALRM, saved_alarm)
        for name, handlers in saved_handlers.items():
            logging.getLogger(name).handlers[:] = handlers
        _forget_process_state()
    return CliRun(argv, code, _read(stdout), _read(stderr))


def _restore_environment(saved: dict[str, str]) -> None:
    for key in set(os.environ) - set(saved):
        del os.environ[key]
    for key, value in saved.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def _pipe() -> io.TextIOWrapper:
    """A stream that encodes like a pipe to a parent process: UTF-8, strict (a character
    that cannot be written fails here as it would in the real CLI), not a terminal."""
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict", newline="\n", write_through=True)


def _read(stream: io.TextIOWrapper) -> str:
    stream.flush()
    return stream.buffer.getvalue().decode("utf-8")  # type: ignore[attr-defined]


def _forget_process_state() -> None:
    """Clear what a new process would start without: ha-lint's lru_caches (some answer by a
    file's path: its lines, its git top level) and the modules of --rules-dir rule files."""
    for name, module in list(sys.modules.items()):
        if name.startswith("ha_lint_user_rules"):
            del sys.modules[name]
        elif name.startswith("ha_lint") and module is not None:
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)) and getattr(value, "__module__", None) == name:
                    value.cache_clear()


# -- a template scanned into an architecture ----------------------------------------------------

def architecture_of(tmp_path: Path, text: str, name: str = "template.yaml", options=None):
    """The architecture of one template (or, for a ``.tf`` name, of the Terraform directory it
    is written into) that must load without errors; ``options`` are the scan's Options."""
    from ha_lint.scan import ScanSettings, scan

    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    settings = ScanSettings(paths=[str(path.parent if name.endswith(".tf") else path)])
    if options is not None:
        settings.options = options
    result = scan(settings, [])
    assert result.errors == []
    assert result.architecture is not None
    return result.architecture


def resource_at(arch, address: str):
    """The one resource of ``arch`` at ``address``."""
    (found,) = [r for r in arch.resources if r.address == address]
    return found


def load_script(name: str):
    """A script of scripts/ (they are not a package) as a module, to test what it writes."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the fast part stays fast ---------------------------------------------------------------------

SLOW_SECONDS = 5.0  # on a quiet machine; a test that takes longer belongs in the slow part
_UNMARKED_SECONDS: dict[str, float] = {}  # test -> its setup, call and teardown, for tests without the mark


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "slow" not in report.keywords:
        _UNMARKED_SECONDS[report.nodeid] = _UNMARKED_SECONDS.get(report.nodeid, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name the tests without the ``slow`` mark that took longer than SLOW_SECONDS (fixtures
    included): the fast part (``python -m pytest -m "not slow"``) runs in about a minute only
    while they are marked."""
    unmarked = sorted(((seconds, nodeid) for nodeid, seconds in _UNMARKED_SECONDS.items() if seconds > SLOW_SECONDS),
                      reverse=True)
    if unmarked:
        terminalreporter.section(f"tests over {SLOW_SECONDS:g} s without @pytest.mark.slow")
        for duration, nodeid in unmarked:
            terminalreporter.write_line(f"{duration:6.1f}s {nodeid}")
