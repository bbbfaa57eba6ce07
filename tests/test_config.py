"""The configuration file, as teams use it: found by walking up, every key honoured, every
mistake a clear exit 2 naming the key and the file, and `ha-lint init` as a start."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ha_lint.config import ConfigError, find, load, parse, parse_duration
from helpers import TEMPLATE, ha_lint, readme_blocks, report

# A rule pack of one rule that reports the rule options it was given, so a test can see
# what reached the rules.
OPTIONS_RULE = '''
from ha_lint.engine import Rule


class ShowOptions(Rule):
    id = "XX901"
    name = "show-options"
    severity = "info"
    summary = "Reports the rule options it was given."
    docs = """
    ## What it does
    Reports the rule options.
    ## Why it matters
    A test sees what reached the rules.
    ## Example
    Any template.
    ## Use instead
    Nothing to fix.
    ## References
    None.
    """

    def check(self, arch):
        o = arch.options
        for workload in arch.workloads.values():
            yield self.workload_finding(workload, (
                f"retention={o.min_backup_retention_days} limit={o.account_concurrency_limit} "
                f"ports={o.extra.get('database_ports')} rto={o.rto_minutes} rpo={o.rpo_minutes} "
                f"strategy={o.dr_strategy}"))
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A repository (the configuration search stops at its top level)."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "stacks" / "orders").mkdir(parents=True)
    (tmp_path / "stacks" / "orders" / "app.yaml").write_text(TEMPLATE)
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "old.yaml").write_text(TEMPLATE)
    return tmp_path


def rules_of(doc: dict) -> list[tuple[str, str]]:
    return sorted((Path(f["file"]).as_posix(), f["rule_id"]) for f in doc["findings"])


def test_found_by_walking_up_from_the_scanned_path(project: Path) -> None:
    (project / ".ha-lint.yml").write_text("select: [HA101, NS401]\nignore: [NS401]\n")
    nested = project / "stacks" / "orders"
    assert find([str(nested / "app.yaml")]) == project / ".ha-lint.yml"
    _, doc = report(str(nested), cwd=Path("/"))  # from anywhere: the file sits above the scanned path
    assert {f["rule_id"] for f in doc["findings"]} == {"HA101"}
    # --no-config and --config FILE
    _, doc = report(str(nested), "--no-config", "--select", "HA101,NS401", cwd=project)
    assert {f["rule_id"] for f in doc["findings"]} == {"HA101", "NS401"}
    other = project / "other.yml"
    other.write_text("select: [NS401]\n")
    _, doc = report(str(nested), "--config", str(other), cwd=project)
    assert {f["rule_id"] for f in doc["findings"]} == {"NS401"}


def test_pyproject_tool_table(project: Path) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "infra"\n\n[tool.ha-lint]\nselect = ["NS401"]\nfail-on = "never"\n')
    assert find([str(project / "stacks")]) == project / "pyproject.toml"
    code, doc = report(str(project / "stacks"), cwd=project)
    assert code == 0  # fail-on never
    assert {f["rule_id"] for f in doc["findings"]} == {"NS401"}
    # A pyproject.toml without the table is passed over for a config file further up.
    inner = project / "stacks" / "pyproject.toml"
    inner.write_text('[project]\nname = "stacks"\n')
    assert find([str(project / "stacks" / "orders")]) == project / "pyproject.toml"


def test_a_configuration_saved_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    # Read as every small data file is (textfile.read_small_text): UTF-8, a BOM dropped.
    for name, text in (("pyproject.toml", '[tool.ha-lint]\nselect = ["NS401"]\n'), (".ha-lint.yml", "select: [NS401]\n")):
        (tmp_path / name).write_bytes(b"\xef\xbb\xbf" + text.encode())
        assert load(tmp_path / name).select == ["NS401"]


def test_select_ignore_severity_fail_on_exclude_and_cli_precedence(project: Path) -> None:
    (project / ".ha-lint.yml").write_text(
        "select: [HA101, NS401]\n"
        "ignore: [sg-admin-port-open]\n"
        "severity:\n  rds-instance-single-az: medium\n"
        "fail-on: high\n"
        "exclude: [legacy]\n"
    )
    code, doc = report(".", cwd=project)
    assert rules_of(doc) == [("stacks/orders/app.yaml", "HA101")]  # legacy/ excluded, NS401 ignored
    assert doc["findings"][0]["severity"] == "medium"  # overridden
    assert code == 0  # medium is below fail-on: high
    # The command line wins: --fail-on, --select; --ignore adds to the file's.
    assert ha_lint(".", "--fail-on", "medium", cwd=project).returncode == 1
    _, doc = report(".", "--select", "NS401", cwd=project)
    assert doc["findings"] == []  # the file's ignore still applies
    _, doc = report(".", "--select", "HA101", "--ignore", "HA101", cwd=project)
    assert doc["findings"] == []


def test_fail_on_critical_stands_for_high(project: Path) -> None:
    """As on the command line (--fail-on critical): other tools' top level is ha-lint's highest."""
    (project / ".ha-lint.yml").write_text("select: [HA101]\nexclude: [legacy]\nfail-on: critical\n")
    assert load(project / ".ha-lint.yml").fail_on == "high"
    code, doc = report(".", cwd=project)
    assert [f["severity"] for f in doc["findings"]] == ["high"] and code == 1  # a high finding fails
    (project / ".ha-lint.yml").write_text("select: [HA101]\nexclude: [legacy]\nfail-on: critical\n"
                                          "severity: {HA101: medium}\n")
    code, doc = report(".", cwd=project)
    assert [f["severity"] for f in doc["findings"]] == ["medium"] and code == 0  # below high: passes
    (project / "pyproject.toml").write_text('[tool.ha-lint]\nselect = ["HA101"]\nexclude = ["legacy"]\n'
                                            'fail-on = "critical"\n')
    (project / ".ha-lint.yml").unlink()
    assert report(".", cwd=project)[0] == 1


def test_per_path_ignores_need_a_reason_and_are_counted(project: Path) -> None:
    (project / ".ha-lint.yml").write_text(
        "select: [HA101, NS401]\n"
        "per-path-ignores:\n"
        "  - path: legacy/**\n"
        "    rules: [HA101, sg-admin-port-open]\n"
        "    reason: legacy stack, retired in Q3\n"
    )
    code, doc = report(".", "--show-suppressed", cwd=project)
    assert rules_of(doc) == [("stacks/orders/app.yaml", "HA101"), ("stacks/orders/app.yaml", "NS401")]
    assert doc["summary"]["suppressed"] == 2
    assert {(s["rule_id"], s["suppression"]["kind"], s["suppression"]["reason"]) for s in doc["suppressed"]} == {
        ("HA101", "config", "legacy stack, retired in Q3"), ("NS401", "config", "legacy stack, retired in Q3")}
    # The same entry from a scan started in another directory (paths are relative to the file).
    _, doc = report(str(project), cwd=Path("/"))
    assert doc["summary"]["suppressed"] == 2


def test_unused_per_path_ignore_is_reported_on_a_full_scan(project: Path) -> None:
    (project / ".ha-lint.yml").write_text(
        "select: [HA101, NS401, BK201]\n"
        "per-path-ignores:\n"
        "  - path: stacks/**\n"
        "    rules: [BK201]\n"
        "    reason: dev data only\n"
    )
    _, doc = report(".", cwd=project)
    unused = [f for f in doc["findings"] if f["rule_id"] == "HL003"]
    assert len(unused) == 1
    assert unused[0]["file"] == ".ha-lint.yml" and unused[0]["line"] == 3
    assert "per-path-ignores entry of BK201" in unused[0]["message"]
    # When BK201 does not run, nobody can tell: no report.
    _, doc = report(".", "--select", "HA101", cwd=project)
    assert not [f for f in doc["findings"] if f["rule_id"] == "HL003"]



def test_a_per_path_ignore_is_at_its_path_line_from_the_parse_tree(project: Path) -> None:
    """Not the first line holding the path's text (here a comment above the entry)."""
    (project / ".ha-lint.yml").write_text(
        "select: [HA101, NS401, BK201]\n"
        "# stacks/** is dev data: see per-path-ignores\n"
        "per-path-ignores:\n"
        "  - rules: [BK201]\n"
        "    reason: dev data only\n"
        "    paths:\n"
        "      - stacks/**\n"
    )
    _, doc = report(".", cwd=project)
    (unused,) = [f for f in doc["findings"] if f["rule_id"] == "HL003"]
    assert (unused["file"], unused["line"]) == (".ha-lint.yml", 7)


def test_rule_options_and_dr_targets_reach_the_rules(project: Path) -> None:
    rules_dir = project / "myrules"
    rules_dir.mkdir()
    (rules_dir / "show.py").write_text(OPTIONS_RULE)
    (project / ".ha-lint.yml").write_text(
        "options:\n"
        "  min-backup-retention-days: 14\n"
        "  account-concurrency-limit: 3000\n"
        "  database-ports: [5432, 15432]\n"
        "targets: {rto: 15m, rpo: 1h30m, strategy: warm-standby}\n"
    )
    args = ("stacks", "--rules-dir", str(rules_dir), "--select", "XX901")
    _, doc = report(*args, cwd=project)
    assert [f["message"] for f in doc["findings"]] == [
        "retention=14 limit=3000 ports=[5432, 15432] rto=15.0 rpo=90.0 strategy=warm-standby"]
    _, doc = report(*args, "--min-backup-retention", "30", cwd=project)  # the command line wins
    assert doc["findings"][0]["message"].startswith("retention=30 ")
    _, doc = report(*args, "--no-config", cwd=project)  # the defaults
    assert doc["findings"][0]["message"] == "retention=7 limit=1000 ports=None rto=None rpo=None strategy=None"


@pytest.mark.parametrize(("text", "key", "problem"), [
    ("fail_on: high\n", "fail_on", "unknown key (did you mean 'fail-on'?)"),
    ("fail-on: urgent\n", "fail-on", "expected one of high, medium, low, info, never"),
    ("options:\n  min-backup-retention-days: seven\n", "options.min-backup-retention-days", "whole number"),
    ("options:\n  min-retention: 7\n", "options.min-retention", "unknown rule option"),
    ("options:\n  database-ports: [5432, 70000]\n", "options.database-ports[1]", "from 1 to 65535"),
    ("targets: {rto: soon}\n", "targets.rto", "expected a duration"),
    ("targets: {strategy: hot}\n", "targets.strategy", "warm-standby"),
    ("severity: {HA101: critical}\n", "severity.HA101", "expected one of high"),
    ("severity: {HA999: low}\n", "severity.HA999", "no such rule"),
    ("select: [XX999]\n", "select", "no rule matches 'XX999'"),
    ("per-path-ignores:\n  - path: legacy/**\n    rules: [HA101]\n", "per-path-ignores[0].reason", "needs a reason"),
    ("per-path-ignores:\n  - path: legacy/**\n    rules: [HA1O1]\n    reason: x\n", "per-path-ignores[0].rules",
     "no rule matches 'HA1O1'"),
    ("- select\n", "(top level)", "expected a mapping"),
])
def test_bad_configuration_is_exit_2_naming_key_and_file(project: Path, text: str, key: str, problem: str) -> None:
    (project / ".ha-lint.yml").write_text(text)
    run = ha_lint(".", cwd=project)
    assert run.returncode == 2, run.stdout
    assert f".ha-lint.yml: {key}: " in run.stderr
    assert problem in run.stderr
    assert "Traceback" not in run.stderr


def test_invalid_yaml_and_toml_name_the_file_and_line(project: Path) -> None:
    (project / ".ha-lint.yml").write_text("select: [HA\nignore: x\n")
    run = ha_lint(".", cwd=project)
    assert run.returncode == 2 and ".ha-lint.yml: not valid YAML (line 2)" in run.stderr
    (project / ".ha-lint.yml").unlink()
    (project / "pyproject.toml").write_text("[tool.ha-lint]\nselect = [\n")
    run = ha_lint(".", cwd=project)
    assert run.returncode == 2 and "pyproject.toml: not valid TOML" in run.stderr
    assert ha_lint(".", "--config", "missing.yml", cwd=project).returncode == 2


def test_init_writes_a_commented_starter_that_loads(project: Path) -> None:
    run = ha_lint("init", cwd=project)
    assert run.returncode == 0, run.stderr
    written = (project / ".ha-lint.yml").read_text()
    assert written.count("\n#") > 20  # commented
    for key in ("select", "ignore", "per-path-ignores", "severity", "fail-on", "exclude", "options", "targets", "baseline"):
        assert key in written
    config = load(project / ".ha-lint.yml")
    assert config.fail_on == "low" and config.min_backup_retention_days == 7
    code, doc = report(".", "--select", "HA101,NS401", cwd=project)  # the starter changes nothing
    assert code == 1 and len(doc["findings"]) == 4
    assert ha_lint("init", cwd=project).returncode == 2  # never overwrites ...
    assert ha_lint("init", "--force", cwd=project).returncode == 0  # ... unless asked


def test_durations() -> None:
    assert parse_duration("15m") == 15
    assert parse_duration("1h30m") == 90
    assert parse_duration("90s") == 1.5
    assert parse_duration("2d") == 2880
    assert parse_duration(5) == 5
    for bad in ("soon", "", "-5m", True, "15 minutes"):
        assert parse_duration(bad) is None, bad
    with pytest.raises(ConfigError, match="targets.rpo"):
        parse({"targets": {"rpo": "m5"}})


def test_readme_examples_are_valid(tmp_path: Path) -> None:
    yml, = readme_blocks("Configuration", "yaml")
    (tmp_path / ".ha-lint.yml").write_text(yml)
    config = load(tmp_path / ".ha-lint.yml")
    assert config.fail_on == "medium" and config.rto_minutes == 15 and config.per_path_ignores
    toml, = readme_blocks("Configuration", "toml")
    (tmp_path / "pyproject.toml").write_text(toml)
    config = load(tmp_path / "pyproject.toml")
    assert config.dr_strategy == "pilot-light" and config.rpo_minutes == 15
    # Every rule the example names exists: the scan starts (and is clean on an empty tree).
    (tmp_path / ".ha-lint.yml").write_text(yml.replace("baseline: .ha-lint-baseline.json", ""))
    assert ha_lint(".", "--allow-empty", cwd=tmp_path).returncode == 0  # an empty tree is exit 2 without it
