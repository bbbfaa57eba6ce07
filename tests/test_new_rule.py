"""scripts/new_rule.py writes a rule that loads, whose fixtures run, whose doc examples fire
as the docs say, and whose generated page passes the page checks, from the first minute: for
a boolean, a number and a string property."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, expected_findings
from ha_lint import ruledocs
from ha_lint.engine import all_rules, merge_stated, select
from ha_lint.scan import ScanSettings, scan
from test_rule_docs import check_metadata_and_docs
from test_rule_examples import check_examples
from test_rule_pages import GENERATOR, check_page

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


def scan_fixtures(rule, rules: list, fixtures: Path) -> set[tuple[str, int, str]]:
    chosen = [cls() for cls in select(rules, [rule.id], None)]
    result = scan(ScanSettings(paths=[str(fixtures)], jobs=1), chosen)
    assert result.errors == []
    return {(str(Path(f.file).relative_to(fixtures)), f.line, f.rule_id) for f in merge_stated(result.findings, chosen)}


def check_scaffolded(layout: Path, tmp_path: Path, rule_id: str, title: str, *args: str):
    """Scaffold a rule and run on it what the repository's tests run on every rule; the rule."""
    run = new_rule(layout, rule_id, title, *args)
    assert run.returncode == 0, run.stderr
    assert f"wrote rules/{rule_id.lower()}_" in run.stdout and "Next steps" in run.stdout
    fixtures = layout / "fixtures" / rule_id
    assert sorted(str(p.relative_to(fixtures)) for p in fixtures.rglob("*") if p.is_file()) == [
        "cfn_bad.yaml", "cfn_good.yaml", "tf_bad/main.tf", "tf_good/main.tf"]

    # It loads as a rule pack would (the checks a plugin passes: ID, name, doc sections).
    rules = all_rules([str(layout / "rules")], plugins=False)
    rule = next(r for r in rules if r.id == rule_id)
    assert (rule.preview, rule.since) == (True, "0.1.0")
    check_metadata_and_docs(rule)  # tests/test_rule_docs.py

    # Its fixtures give exactly the findings their markers declare, as tests/test_fixtures.py checks.
    expected = expected_findings(fixtures)
    assert {(f, r) for f, _, r in expected} == {("cfn_bad.yaml", rule_id), ("tf_bad/main.tf", rule_id)}
    assert scan_fixtures(rule, rules, fixtures) == expected

    # Its doc examples: the Example fires in both languages, Use instead does not.
    check_examples(rule, tmp_path / "examples")

    # Its page and index entry, as scripts/gen_rule_docs.py writes them beside the built-in
    # rules', pass tests/test_rule_pages.py's checks (a new rule is a preview rule).
    for path, text in ruledocs.generated([*GENERATOR.documented_rules(), rule]).items():
        (layout / path).parent.mkdir(parents=True, exist_ok=True)
        (layout / path).write_text(text, encoding="utf-8")
    check_page(rule, layout)
    return rule


def test_the_scaffolded_rule_loads_and_its_fixtures_examples_and_page_pass(layout: Path, tmp_path: Path) -> None:
    rule = check_scaffolded(layout, tmp_path, "HA199", "Trial RDS standby", *ARGS)
    assert (rule.name, rule.severity) == ("trial-rds-standby", "high")
    assert "MultiAZ: false  # expect: HA199" in (layout / "fixtures" / "HA199" / "cfn_bad.yaml").read_text()
    assert "multi_az = true" in (layout / "fixtures" / "HA199" / "tf_good" / "main.tf").read_text()


TYPED = {
    "string": (["--cfn-type", "AWS::AutoScaling::AutoScalingGroup", "--tf-type", "aws_autoscaling_group",
                "--prop", "health_check_type", "--bad", "EC2", "--good", "ELB"],
               "HealthCheckType: EC2  # expect: HA199", 'health_check_type = "ELB"',
               'value.strip().lower() == "ec2"'),
    "number": (["--cfn-type", "AWS::RDS::DBInstance", "--tf-type", "aws_db_instance", "--prop", "backup_retention",
                "--bad", "0", "--good", "7"],
               "BackupRetentionPeriod: 0  # expect: HA199", "backup_retention_period = 7",
               "number is not UNKNOWN and number < 7"),
}


@pytest.mark.parametrize("typed", TYPED)
def test_bad_and_good_values_of_a_number_or_string_make_the_fixtures_and_the_check(
        typed: str, layout: Path, tmp_path: Path) -> None:
    args, flagged, fixed, condition = TYPED[typed]
    rule = check_scaffolded(layout, tmp_path, "HA199", f"Trial {typed} value", "--severity", "low", *args)
    fixtures = layout / "fixtures" / "HA199"
    assert flagged in (fixtures / "cfn_bad.yaml").read_text()
    assert fixed in (fixtures / "tf_good" / "main.tf").read_text()
    source = next((layout / "rules").glob("ha199_*.py")).read_text()
    assert condition in source and "as_bool" not in source
    assert fixed.strip() in ruledocs.section(rule, "Use instead")

    # The check reads the value as a rule must: another spelling of it, and the kinds table's
    # default when it is absent (an RDS instance keeps backups 1 day: flagged, at its own line).
    (fixtures / "cfn_bad.yaml").write_text(
        "Resources:\n"
        "  Spelled:\n    Type: AWS::RDS::DBInstance\n    Properties:\n"
        '      BackupRetentionPeriod: "3"  # expect: HA199\n'
        "  Absent:  # expect: HA199\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: mysql\n"
        if typed == "number" else
        "Resources:\n"
        "  Spelled:\n    Type: AWS::AutoScaling::AutoScalingGroup\n    Properties:\n"
        "      HealthCheckType: ec2  # expect: HA199\n"
        "  Absent:  # expect: HA199\n    Type: AWS::AutoScaling::AutoScalingGroup\n    Properties:\n"
        "      MinSize: '2'\n")
    rules = all_rules([str(layout / "rules")], plugins=False)
    assert scan_fixtures(rule, rules, fixtures) == expected_findings(fixtures)


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
    one_value = new_rule(layout, "HA198", "Trial standby", *ARGS, "--bad", "single-node")
    assert one_value.returncode == 2 and "give both --bad and --good" in one_value.stderr
    not_numbers = new_rule(layout, "HA198", "Trial standby", *ARGS, "--bad", "one", "--good", "two", "--type", "number")
    assert not_numbers.returncode == 2 and "--type number takes whole numbers" in not_numbers.stderr
    same = new_rule(layout, "HA198", "Trial standby", *ARGS, "--bad", "Single", "--good", "single")
    assert same.returncode == 2 and "two different values" in same.stderr
    assert not list((layout / "rules").glob("ha198_*")) and not (layout / "fixtures" / "HA198").exists()


def test_the_real_repository_refuses_a_built_in_id() -> None:
    run = new_rule(ROOT, "HA101", "Trial RDS standby", *ARGS)
    assert run.returncode == 2 and "HA101 is taken" in run.stderr
    assert not (ROOT / "rules" / "ha101_trial_rds_standby.py").exists()
