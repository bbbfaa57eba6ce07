"""scripts/new_rule.py writes a rule that loads, whose fixtures run, and whose doc examples
fire as the docs say, from the first minute."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, expected_findings
from ha_lint.engine import all_rules, merge_stated, select
from ha_lint.scan import ScanSettings, scan
from test_rule_examples import check_examples

SCRIPT = ROOT / "scripts" / "new_rule.py"
ARGS = ["--severity", "high", "--cfn-type", "AWS::RDS::DBInstance", "--tf-type", "aws_db_instance",
        "--prop", "multi_az"]


def new_rule(repository: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args, "--repository", str(repository)],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """The repository's layout: rules/ and fixtures/, as a contributor's checkout has them."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "fixtures").mkdir()
    return tmp_path


def test_the_scaffolded_rule_loads_and_its_fixtures_and_examples_run(layout: Path, tmp_path: Path) -> None:
    run = new_rule(layout, "HA199", "Trial RDS standby", *ARGS)
    assert run.returncode == 0, run.stderr
    assert "wrote rules/ha199_trial_rds_standby.py" in run.stdout and "Next steps" in run.stdout
    fixtures = layout / "fixtures" / "HA199"
    assert sorted(str(p.relative_to(fixtures)) for p in fixtures.rglob("*") if p.is_file()) == [
        "cfn_bad.yaml", "cfn_good.yaml", "tf_bad/main.tf", "tf_good/main.tf"]

    # It loads as a rule pack would (the checks a plugin passes: ID, name, doc sections).
    rules = all_rules([str(layout / "rules")], plugins=False)
    rule = next(r for r in rules if r.id == "HA199")
    assert (rule.name, rule.severity, rule.preview, rule.since) == ("trial-rds-standby", "high", True, "0.1.0")

    # Its fixtures give exactly the findings their markers declare, as tests/test_fixtures.py checks.
    expected = expected_findings(fixtures)
    assert {(f, r) for f, _, r in expected} == {("cfn_bad.yaml", "HA199"), ("tf_bad/main.tf", "HA199")}
    chosen = [cls() for cls in select(rules, ["HA199"], None)]
    result = scan(ScanSettings(paths=[str(fixtures)], jobs=1), chosen)
    assert result.errors == []
    got = {(str(Path(f.file).relative_to(fixtures)), f.line, f.rule_id) for f in merge_stated(result.findings, chosen)}
    assert got == expected

    # Its doc examples: the Example fires in both languages, Use instead does not.
    check_examples(rule, tmp_path / "examples")


def test_a_taken_or_malformed_id_and_an_unmapped_type_or_property_are_refused(layout: Path) -> None:
    assert new_rule(layout, "HA199", "Trial RDS standby", *ARGS).returncode == 0
    again = new_rule(layout, "HA199", "Another trial", *ARGS)
    assert again.returncode == 2 and "HA199 is taken" in again.stderr
    bad_id = new_rule(layout, "ha1999", "Trial", *ARGS)
    assert bad_id.returncode == 2 and "two or three capital letters and three digits" in bad_id.stderr
    unmapped = new_rule(layout, "HA198", "Trial queue", "--severity", "low", "--cfn-type", "AWS::Nope::Thing",
                        "--tf-type", "aws_nope", "--prop", "x")
    assert unmapped.returncode == 2 and "AWS::Nope::Thing is not in src/ha_lint/kinds.py" in unmapped.stderr
    no_prop = new_rule(layout, "HA198", "Trial standby", *ARGS[:-1], "standby_zone")
    assert no_prop.returncode == 2 and "property 'standby_zone' of rds_instance is not mapped" in no_prop.stderr


def test_the_real_repository_refuses_a_built_in_id() -> None:
    run = new_rule(ROOT, "HA101", "Trial RDS standby", *ARGS)
    assert run.returncode == 2 and "HA101 is taken" in run.stderr
    assert not (ROOT / "rules" / "ha101_trial_rds_standby.py").exists()
