"""Value resolution, case by case: each directory of ``fixtures/resolve/`` proves one
mechanism (a parameter file, a tfvars override, a module output...) with HA101, BK201 and
NS401 firing through it, or correctly not firing.

A case directory holds the templates (``# expect: ID`` on the exact line, ``.expect``
sidecars for JSON) and a ``case.json``: what the case is about, the settings the user would
pass (``parameters``, ``parameter_files``, ``region``, ``variables``, ``var_files``,
``environ``), and what the findings must say (``resources``: the exact (rule, resource) list;
``details``: (rule, resource, detail) rows that must be there; ``messages`` that some
finding's message or value trace must contain, a trace written as ``A (file:line) -> B``;
``warnings`` that some warning must contain, none otherwise).
``{dir}`` stands for the case directory as scanned.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import FIXTURES, expected_findings
from ha_lint.engine import all_rules, select
from ha_lint.scan import ScanSettings, scan

CASES = sorted(p for p in (FIXTURES / "resolve").iterdir() if p.is_dir())
RULES = ["HA101", "BK201", "NS401"]


def run_case(case: Path, monkeypatch: pytest.MonkeyPatch):
    spec = json.loads((case / "case.json").read_text())
    for name in [n for n in os.environ if n.startswith("TF_VAR_")]:
        monkeypatch.delenv(name)
    for name, value in spec.get("environ", {}).items():
        monkeypatch.setenv(name, value)
    settings = ScanSettings(
        paths=[str(case)], parameters=spec.get("parameters", {}), region=spec.get("region"),
        parameter_files=[str(case / f) for f in spec.get("parameter_files", [])],
        variables=spec.get("variables", {}), var_files=[str(case / f) for f in spec.get("var_files", [])],
        jobs=1,
    )
    rules = [cls() for cls in select(all_rules(), spec.get("rules", RULES), None)]
    return spec, scan(settings, rules)


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_resolution_case(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec, result = run_case(case, monkeypatch)
    fill = lambda text: text.replace("{dir}", str(case))  # noqa: E731
    assert result.errors == []
    assert result.rule_failures == []
    got = {(os.path.relpath(f.file, case), f.line, f.rule_id) for f in result.findings}
    expected = expected_findings(case)
    assert got == expected, "\n".join(
        [f"missing: {m}" for m in sorted(expected - got)] + [f"extra: {e}" for e in sorted(got - expected)]
        + [f"  {f.rule_id} {f.resource}: {f.message}" for f in result.findings])
    if "resources" in spec:
        assert sorted((f.rule_id, f.resource) for f in result.findings) == sorted(map(tuple, spec["resources"]))
    for row in spec.get("details", []):
        assert tuple(row) in {(f.rule_id, f.resource, f.detail) for f in result.findings}, row
    # A message shows a chain short; the finding's trace holds every step with its full path.
    traces = [" -> ".join(f"{s.description} ({s.file}:{s.line})" if s.file and s.line else s.description
                          for s in f.trace) for f in result.findings]
    messages = [f.message for f in result.findings] + traces
    for text in map(fill, spec.get("messages", [])):
        assert any(text in m for m in messages), f"no message contains {text!r}:\n" + "\n".join(messages)
    wanted = [fill(w) for w in spec.get("warnings", [])]
    for text in wanted:
        assert any(text in str(w) for w in result.warnings), f"no warning contains {text!r}: {result.warnings}"
    if not wanted:
        assert result.warnings == []


def test_every_case_says_what_it_proves() -> None:
    assert len(CASES) >= 20
    for case in CASES:
        spec = json.loads((case / "case.json").read_text())
        assert spec.get("about"), case.name
        assert "resources" in spec or "details" in spec, case.name
