"""The command line as users run it: real files, real exit codes; run in this process
(conftest.run_cli), and once as the installed command in a process of its own."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from conftest import FIXTURES
from conftest import run_cli as ha_lint


def test_the_installed_command_is_a_process_whose_exit_code_the_shell_sees() -> None:
    """What an in-process run cannot show: the ``ha-lint`` entry point is installed, its output
    reaches the pipes and its exit code (0 clean, 1 findings, 2 usage) reaches the caller."""
    command = shutil.which("ha-lint")
    assert command is not None, "the ha-lint entry point is not installed (pip install -e .)"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([command, *args], capture_output=True, text=True, timeout=120)

    bad = run(str(FIXTURES / "HA101" / "cfn_bad.yaml"), "--select", "HA101", "--no-cache")
    assert bad.returncode == 1, bad.stderr
    assert "20: HA101" in bad.stdout and "4 findings (4 high" in bad.stdout
    clean = run(str(FIXTURES / "HA101" / "cfn_good.yaml"), "--select", "HA101", "--no-cache")
    assert clean.returncode == 0, clean.stderr
    usage = run("does/not/exist")
    assert usage.returncode == 2 and "path does not exist: does/not/exist" in usage.stderr


def test_text_output_names_rule_file_line_and_resource() -> None:
    run = ha_lint(str(FIXTURES / "HA101" / "cfn_bad.yaml"), "--select", "HA101", "--no-color")
    assert run.returncode == 1, run.stderr
    assert "HA101 rds-instance-single-az [high] Literal (AWS::RDS::DBInstance)" in run.stdout
    assert str(FIXTURES / "HA101" / "cfn_bad.yaml") in run.stdout
    assert "20: HA101" in run.stdout
    assert "parameter DbMultiAz defaults to 'false'" in run.stdout
    assert "when condition IsProd false" in run.stdout
    assert "4 findings (4 high" in run.stdout


def test_json_output_is_documented_shape(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    run = ha_lint(str(FIXTURES / "NS401" / "tf_bad"), "--select", "NS401", "--format", "json", "--output", str(out))
    assert run.returncode == 1, run.stderr
    assert run.stdout == ""
    report = json.loads(out.read_text())
    assert set(report) >= {"findings", "errors", "warnings", "summary"}
    assert report["warnings"] == [] and report["summary"]["warnings"] == 0
    finding = next(f for f in report["findings"] if f["resource"] == "aws_security_group_rule.rdp")
    assert finding == {
        "rule_id": "NS401", "rule_name": "sg-admin-port-open", "severity": "high",
        "message": finding["message"], "file": str(FIXTURES / "NS401" / "tf_bad" / "main.tf"),
        "line": 29, "resource": "aws_security_group_rule.rdp", "resource_type": "aws_security_group_rule",
        "related": [], "root": None, "trace": [],
    }
    assert "RDP (3389)" in finding["message"] and "SSH (22)" in finding["message"]
    assert report["summary"]["findings"] == 3
    assert report["summary"]["by_severity"]["high"] == 3


def test_exit_zero_when_clean_and_fail_on_threshold() -> None:
    good = str(FIXTURES / "HA101" / "cfn_good.yaml")
    assert ha_lint(good, "--select", "HA101").returncode == 0
    bad = str(FIXTURES / "HA101" / "cfn_bad.yaml")
    assert ha_lint(bad, "--select", "HA101", "--fail-on", "high").returncode == 1
    assert ha_lint(bad, "--select", "HA101", "--fail-on", "never").returncode == 0


def test_usage_errors_exit_2() -> None:
    assert ha_lint("does/not/exist").returncode == 2
    run = ha_lint(str(FIXTURES), "--select", "XX999")
    assert run.returncode == 2 and "no rule matches 'XX999'" in run.stderr
    assert ha_lint(str(FIXTURES), "--format", "yaml").returncode == 2
    assert ha_lint("--fail-on", "urgent").returncode == 2
    assert "Traceback" not in run.stderr


def test_select_by_name_and_ignore_by_prefix() -> None:
    bad = str(FIXTURES / "HA101" / "cfn_bad.yaml")
    assert ha_lint(bad, "--select", "rds-instance-single-az").returncode == 1
    assert ha_lint(bad, "--select", "HA101", "--ignore", "HA").returncode == 0


def test_load_error_is_reported_and_fails_unless_allowed(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("AWSTemplateFormatVersion: '2010-09-09'\nResources: [\n  a: b: c\n")
    good = tmp_path / "ok.yaml"
    good.write_text((FIXTURES / "HA101" / "cfn_good.yaml").read_text())
    run = ha_lint(str(tmp_path), "--format", "json", "--select", "HA101")
    assert run.returncode == 1
    report = json.loads(run.stdout)
    assert [e["file"] for e in report["errors"]] == [str(tmp_path / "broken.yaml")]
    assert report["errors"][0]["line"] == 3
    assert report["summary"]["resources"] == 6
    assert ha_lint(str(tmp_path), "--select", "HA101", "--allow-load-errors").returncode == 0


def test_rules_and_explain() -> None:
    run = ha_lint("rules")
    assert run.returncode == 0
    assert "HA101  rds-instance-single-az" in run.stdout
    explain = ha_lint("explain", "sg-admin-port-open")
    assert explain.returncode == 0
    assert explain.stdout.startswith("NS401 sg-admin-port-open (high)")
    assert "## Why it matters" in explain.stdout
    assert ha_lint("explain", "NOPE1").returncode == 2
    assert ha_lint("--version").stdout.startswith("ha-lint ")


def test_a_file_reached_twice_is_scanned_once_but_a_linked_tf_file_belongs_to_each_module(tmp_path: Path) -> None:
    template = tmp_path / "stack.yaml"
    template.write_text((FIXTURES / "HA101" / "cfn_bad.yaml").read_text())
    (tmp_path / "alias.yaml").symlink_to("stack.yaml")
    # One DynamoDB table in a file shared by two modules through links (a common layout for
    # versions.tf / providers.tf): each module declares it, so it is reported in each.
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "table.tf").write_text('resource "aws_dynamodb_table" "t" {\n  name     = "t"\n  hash_key = "id"\n}\n')
    for module in ("a", "b"):
        (tmp_path / module).mkdir()
        (tmp_path / module / "table.tf").symlink_to(shared / "table.tf")
    run = ha_lint(str(template), str(tmp_path), "--format", "json", "--select", "HA101,BK205", "--fail-on", "never")
    assert run.returncode == 0, run.stderr
    findings = json.loads(run.stdout)["findings"]
    assert sorted({f["file"] for f in findings if f["rule_id"] == "HA101"}) == [str(template)]
    assert len([f for f in findings if f["rule_id"] == "HA101"]) == len(
        [f for f in json.loads(ha_lint(str(template), "--format", "json", "--select", "HA101", "--fail-on", "never").stdout)["findings"]])
    tables = sorted(f["file"] for f in findings if f["rule_id"] == "BK205")
    assert tables == [str(tmp_path / m / "table.tf") for m in ("a", "b")] + [str(shared / "table.tf")]
