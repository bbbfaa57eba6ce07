"""The suite's two parts: the README says how to run the fast one, pyproject.toml registers the
``slow`` mark, and .ci/run runs the fast part before the slow one for each cfn-lint version."""

from __future__ import annotations

import tomllib

from conftest import ROOT

FAST = 'python -m pytest -m "not slow"'
SLOW = "python -m pytest -m slow"


def test_the_readme_gives_the_fast_command_and_the_whole_one() -> None:
    opening = (ROOT / "README.md").read_text(encoding="utf-8").split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in opening.splitlines()]
    assert FAST in commands and "python -m pytest" in commands


def test_the_slow_mark_is_registered() -> None:
    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert any(marker.startswith("slow:") for marker in options["markers"])


def test_ci_runs_the_fast_part_then_the_slow_part_for_each_cfn_lint_version() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    runs = [line.strip() for line in script.splitlines() if line.strip().startswith("python -m pytest")]
    assert runs == [FAST, SLOW, FAST, SLOW]
    assert script.index(SLOW) < script.index('pip install --quiet "cfn-lint==$lowest"') < script.rindex(FAST)
