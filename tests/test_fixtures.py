"""Every rule's fixtures produce exactly the findings they declare, at the exact line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import FIXTURES, expected_findings
from ha_lint.engine import all_rules, merge_stated, select
from ha_lint.scan import ScanSettings, scan

RULE_DIRS = sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name[:2].isalpha() and p.name[2:].isdigit())


@pytest.mark.parametrize("rule_dir", RULE_DIRS, ids=[p.name for p in RULE_DIRS])
def test_fixture_findings_are_exact(rule_dir: Path) -> None:
    expected = expected_findings(rule_dir)
    ids = sorted({rule for _, _, rule in expected} | {rule_dir.name})
    rules = [cls() for cls in select(all_rules(), ids, None)]
    result = scan(ScanSettings(paths=[str(rule_dir)]), rules)
    assert result.errors == []
    # As the CLI reports them: one finding per rule entry when one rule states another's.
    findings = merge_stated(result.findings, rules)
    got = {(os.path.relpath(f.file, rule_dir), f.line, f.rule_id) for f in findings}
    assert got == expected, "\n".join(
        [f"missing: {m}" for m in sorted(expected - got)] + [f"extra: {e}" for e in sorted(got - expected)]
    )


@pytest.mark.parametrize("rule_dir", RULE_DIRS, ids=[p.name for p in RULE_DIRS])
def test_every_rule_has_both_languages_firing_and_near_miss(rule_dir: Path) -> None:
    expected = expected_findings(rule_dir)
    languages = {("terraform" if f.endswith(".tf") else "cloudformation") for f, _, r in expected if r == rule_dir.name}
    assert languages == {"cloudformation", "terraform"}, f"{rule_dir.name} must fire in both languages"
    files = [p for p in rule_dir.rglob("*") if p.is_file() and p.suffix != ".expect" and p.name != "expected.json"]
    firing = {str(p.relative_to(rule_dir)) for p in files} & {f for f, _, _ in expected}
    near_misses = [p for p in files if str(p.relative_to(rule_dir)) not in firing]
    assert any(p.suffix == ".tf" for p in near_misses), "needs a Terraform near-miss"
    assert any(p.suffix in (".yaml", ".yml", ".json", ".template") for p in near_misses), "needs a CloudFormation near-miss"


def test_every_rule_has_fixtures() -> None:
    ids = {cls.id for cls in all_rules()}
    assert ids <= {p.name for p in RULE_DIRS}, f"rules without fixtures: {sorted(ids - {p.name for p in RULE_DIRS})}"
