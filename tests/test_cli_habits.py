"""The command line fits people's habits (issue 21): an empty scan is a mistake, files that are
not templates are skipped with a note, "did you mean", `explain` by another tool's ID, `rules
PREFIX`, `--fail-on critical`, `--format concise`, the same load options on every command,
and Ctrl-C. Each through the real CLI: in this process (conftest.run_cli), Ctrl-C in a
process of its own."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURES
from conftest import run_cli as run

HA101_BAD = FIXTURES / "HA101" / "cfn_bad.yaml"
WORKFLOW = "name: ci\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"


# -- scanning nothing is not success ---------------------------------------------------------

def test_a_directory_without_templates_is_a_usage_error_unless_allowed(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "ci.yml").write_text(WORKFLOW)  # YAML, but not a template
    empty = run(str(tmp_path / "docs"), "--no-config", "--no-cache")
    assert empty.returncode == 2, empty.stdout + empty.stderr
    assert f"no CloudFormation template, Terraform file or plan found in {tmp_path / 'docs'}" in empty.stderr
    assert "--allow-empty" in empty.stderr and "Traceback" not in empty.stderr
    allowed = run(str(tmp_path / "docs"), "--no-config", "--no-cache", "--allow-empty")
    assert allowed.returncode == 0, allowed.stderr
    assert "0 findings" in allowed.stdout


def test_excludes_that_leave_nothing_say_so(tmp_path: Path) -> None:
    (tmp_path / "stack.yaml").write_text(HA101_BAD.read_text())
    excluded = run(str(tmp_path), "--exclude", "stack.yaml", "--no-config", "--no-cache")
    assert excluded.returncode == 2
    assert "(after excludes)" in excluded.stderr


def test_some_directories_without_templates_are_fine(tmp_path: Path) -> None:
    # `ha-lint services/*/`: only some services have templates.
    for name in ("orders", "billing", "search"):
        (tmp_path / name).mkdir()
    (tmp_path / "orders" / "stack.yaml").write_text(HA101_BAD.read_text())
    scan = run(*(str(tmp_path / n) for n in ("orders", "billing", "search")), "--select", "HA101",
               "--no-config", "--no-cache")
    assert scan.returncode == 1, scan.stderr  # the findings decide, not the empty directories
    assert "4 findings" in scan.stdout


def test_named_files_that_are_not_templates_are_skipped_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "ci.yml").write_text(WORKFLOW)
    (tmp_path / "package.json").write_text('{"name": "app"}\n')
    (tmp_path / "stack.yaml").write_text(HA101_BAD.read_text())
    alone = run("ci.yml", "package.json", "--no-config", "--no-cache", cwd=tmp_path)
    assert alone.returncode == 0, alone.stderr  # a commit that touches only a workflow passes
    assert "ha-lint: note: ci.yml: not a CloudFormation template, Terraform file or plan; skipped" in alone.stderr
    assert "ha-lint: note: package.json: not a CloudFormation" in alone.stderr
    mixed = run("ci.yml", "stack.yaml", "--select", "HA101", "--no-config", "--no-cache", cwd=tmp_path)
    assert mixed.returncode == 1  # the exit status is the templates'
    assert "ci.yml: not a CloudFormation template" in mixed.stderr and "stack.yaml" not in mixed.stderr
    assert "HA101 rds-instance-single-az" in mixed.stdout


# -- help and "did you mean" ------------------------------------------------------------------

def test_help_shows_the_scan_options() -> None:
    shown = run("--help")
    assert shown.returncode == 0
    for option in ("--fail-on", "--exclude", "--parameter-file", "--var-file", "--format", "--allow-empty"):
        assert option in shown.stdout, option
    assert "resilience" in shown.stdout and "explain" in shown.stdout  # the commands too


def test_a_mistyped_option_choice_rule_or_command_names_the_closest() -> None:
    option = run(str(HA101_BAD), "--fial-on", "high")
    assert option.returncode == 2 and "unrecognized arguments: --fial-on" in option.stderr
    assert "(did you mean --fail-on?)" in option.stderr
    choice = run(str(HA101_BAD), "--fail-on", "hihg")
    assert choice.returncode == 2 and "(did you mean high?)" in choice.stderr
    rule = run(str(HA101_BAD), "--select", "rds-instance-single-zone", "--no-config", "--no-cache")
    assert rule.returncode == 2
    assert "no rule matches 'rds-instance-single-zone' (did you mean rds-instance-single-az?)" in rule.stderr
    explain = run("explain", "HA1001")
    assert explain.returncode == 2 and "no rule 'HA1001' (did you mean HA101?)" in explain.stderr
    command = run("explian", "HA101")
    assert command.returncode == 2 and "(did you mean `ha-lint explain`?)" in command.stderr
    fmt = run(str(HA101_BAD), "--format", "sarf", "--no-config", "--no-cache")
    assert fmt.returncode == 2 and "(did you mean sarif?)" in fmt.stderr
    for failed in (option, choice, rule, explain, command, fmt):
        assert "Traceback" not in failed.stderr


# -- explain and rules ------------------------------------------------------------------------

def test_explain_finds_a_rule_by_its_documented_equivalent() -> None:
    checkov = run("explain", "CKV_AWS_157")
    assert checkov.returncode == 0, checkov.stderr
    assert checkov.stdout.startswith("CKV_AWS_157 is equivalent to ha-lint's HA101 rds-instance-single-az\n")
    assert "HA101 rds-instance-single-az (high)" in checkov.stdout and "## References" in checkov.stdout
    two = run("explain", "ckv_aws_133")  # any case; BK201 and BK202 both name it
    assert two.returncode == 0
    assert "BK201 db-backups-disabled" in two.stdout.splitlines()[0] and "BK202" in two.stdout.splitlines()[0]
    cfn_lint = run("explain", "W3011")
    assert cfn_lint.returncode == 0 and "BK204" in cfn_lint.stdout.splitlines()[0]
    # HA101's docs say Trivy's AWS-0176 is *not* its equivalent (IAM database authentication).
    remark = run("explain", "AWS-0176")
    assert remark.returncode == 2 and "no rule 'AWS-0176'" in remark.stderr


def test_rules_takes_a_prefix_and_json() -> None:
    listed = run("rules", "NS4")
    assert listed.returncode == 0
    ids = [line.split()[0] for line in listed.stdout.splitlines()]
    assert ids and all(i.startswith("NS4") for i in ids) and "NS401" in ids
    data = json.loads(run("rules", "HA", "--format", "json").stdout)
    assert [r["id"] for r in data] == sorted(r["id"] for r in data) and all(r["id"].startswith("HA") for r in data)
    ha101 = next(r for r in data if r["id"] == "HA101")
    assert set(ha101) == {"id", "name", "severity", "summary", "equivalents", "url", "since", "preview"}
    assert ha101["name"] == "rds-instance-single-az" and ha101["severity"] == "high"
    assert ha101["equivalents"][0] == "CKV_AWS_157"
    everything = json.loads(run("rules", "--format", "json").stdout)
    assert len(everything) > len(data) and {"BK201", "HL001"} <= {r["id"] for r in everything}
    unknown = run("rules", "XX9")
    assert unknown.returncode == 2 and "no rule matches 'XX9'" in unknown.stderr


# -- --fail-on critical, --format concise -----------------------------------------------------

def test_fail_on_critical_is_high() -> None:
    medium = FIXTURES / "NS405" / "cfn_bad.yaml"  # NS405 findings are medium
    common = ["--select", "NS405", "--no-config", "--no-cache"]
    assert run(str(medium), *common, "--fail-on", "medium").returncode == 1
    assert run(str(medium), *common, "--fail-on", "critical").returncode == 0
    assert run(str(medium), *common, "--fail-on", "high").returncode == 0
    assert run(str(HA101_BAD), "--select", "HA101", "--no-config", "--no-cache", "--fail-on", "critical").returncode == 1


def test_concise_is_one_line_a_finding(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    concise = run(str(FIXTURES / "HA101"), "--select", "HA101", "--no-config", "--no-cache", "--format", "concise",
                  "--format", f"json:{report}")
    assert concise.returncode == 1, concise.stderr
    findings = json.loads(report.read_text())["findings"]
    lines = concise.stdout.splitlines()
    assert len(lines) == len(findings) > 4  # nothing else: no summary, no headings
    pattern = re.compile(r"^(.+):(\d+):(\d+): (\S+) \[(\w+)\] (.+)$")
    for line, finding in zip(lines, findings):
        match = pattern.match(line)
        assert match, line
        assert match.groups() == (finding["file"], str(finding["line"]), "1", "HA101", finding["severity"],
                                  " ".join(finding["message"].split()))


# -- resilience and graph take the load options -----------------------------------------------

def test_resilience_and_graph_take_every_load_option(tmp_path: Path) -> None:
    template = tmp_path / "db.yaml"
    template.write_text(HA101_BAD.read_text())
    parameters = tmp_path / "params.json"
    parameters.write_text('[{"ParameterKey": "DbMultiAz", "ParameterValue": "true"}]')

    def findings(*args: str) -> list[dict]:
        done = run("resilience", str(template), "-f", "json", "--no-config", "--no-cache", *args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["findings"]

    everything = findings()
    assert {"HA101", "DR306"} <= {f["rule_id"] for f in everything}
    selected = findings("--select", "HA101")
    assert selected and {f["rule_id"] for f in selected} == {"HA101"}
    assert "DR306" not in {f["rule_id"] for f in findings("--ignore", "DR306")}
    # The parameter file turns Multi-AZ on for the instance that reads the parameter.
    assert any(f["resource"] == "FromParameter" for f in selected)
    assert not any(f["resource"] == "FromParameter" for f in findings("--select", "HA101", "--parameter-file",
                                                                       str(parameters)))
    assert findings("--dr-strategy", "warm-standby", "--select", "DR3") != findings("--select", "DR3")

    excluded = run("graph", str(tmp_path), "--exclude", "*.yaml", "--no-config", "--no-cache")
    assert excluded.returncode == 2 and "(after excludes)" in excluded.stderr
    missing = run("graph", str(template), "--var-file", str(tmp_path / "nope.tfvars"), "--no-config")
    assert missing.returncode == 2 and "--var-file" in missing.stderr and "no such file" in missing.stderr
    diff = run("graph", str(template), "--diff", "main")  # --diff stays scan's
    assert diff.returncode == 2 and "unrecognized arguments: --diff" in diff.stderr


# -- Ctrl-C -----------------------------------------------------------------------------------

def _wait_for_cpu(pid: int, seconds: float) -> None:
    """Wait until the process has used ``seconds`` of CPU (Linux /proc), not a fixed wall time:
    on a loaded machine two seconds of wall time can end before Python has imported ha-lint,
    and a Ctrl-C then is Python's, not ha-lint's."""
    stat = Path(f"/proc/{pid}/stat")
    deadline = time.monotonic() + 60
    while stat.exists() and time.monotonic() < deadline:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        if fields[0] == "Z" or (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") >= seconds:
            return
        time.sleep(0.05)
    if not stat.exists():
        time.sleep(2.0)  # no /proc: the old fixed wait


@pytest.mark.slow  # a real process, interrupted once it is well into its work
def test_ctrl_c_says_interrupted_and_exits_130(tmp_path: Path) -> None:
    resources = "".join(f"  Queue{i}:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: q{i}\n"
                        for i in range(20_000))
    (tmp_path / "big.yaml").write_text(f"AWSTemplateFormatVersion: '2010-09-09'\nResources:\n{resources}")
    process = subprocess.Popen([sys.executable, "-m", "ha_lint", str(tmp_path / "big.yaml"), "--no-config",
                                "--no-cache", "-j", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_cpu(process.pid, seconds=1.5)  # past start-up and imports, well into the load
    assert process.poll() is None, "the scan ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert stderr.strip().endswith("ha-lint: interrupted") and "Traceback" not in stderr
