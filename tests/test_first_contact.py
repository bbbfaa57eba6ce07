"""The README's first command, as a newcomer runs it: the lightest install, then one small
project (examples/quickstart) whose report reads at a glance: one workload, its scenario
table, its single points of failure and its findings with their files; .ci/run runs the same."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys

from conftest import ROOT


def first_command() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme, re.S)
    assert block and readme.index(block.group(0)) < readme.index("\n## "), "the README opens with a command"
    line = block.group(1).splitlines()[0].split("#", 1)[0]
    return [shlex.split(part) for part in line.split("&&")]


def test_the_first_command_is_the_lightest_install_and_the_quickstart_report() -> None:
    install, command = first_command()
    assert install == ["pip", "install", "-e", "."]  # no extra: the test tools are not needed to try it
    assert command[0] == "ha-lint" and "examples/quickstart/" in command
    run = subprocess.run([sys.executable, "-m", "ha_lint", *command[1:], "--no-cache"], capture_output=True,
                         text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr  # a report, not a check: exit 0
    assert run.stderr == ""
    out = run.stdout
    assert len(re.findall(r"^Workload ", out, re.M)) == 1 and out.startswith("Workload examples/quickstart (terraform)\n")
    table = out.split("\n  Dependencies:")[0].splitlines()
    assert re.match(r"  component +role +AZ eu-west-1a +AZ eu-west-1b +Region eu-west-1", table[2])
    rows = {line.split()[0]: line.split()[1:] for line in table[3:] if not line.startswith("  R")}
    assert rows == {"aws_db_instance.db": ["data", "down", "unaffected", "down"],
                    "aws_lb.web": ["entry", "down", "degraded", "down"],
                    "aws_autoscaling_group.app": ["compute", "down", "degraded", "down"],
                    "aws_nat_gateway.main": ["egress", "down", "unaffected", "down"]}
    assert "    aws_nat_gateway.main (HA107): down on the loss of AZ eu-west-1a" in out
    scan = subprocess.run([sys.executable, "-m", "ha_lint", "examples/quickstart/", "--no-cache", "--format", "json"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert scan.returncode == 1  # the scan CI runs fails on them
    findings = json.loads(scan.stdout)["findings"]
    assert 2 <= len(findings) <= 4 and f"  Findings ({len(findings)}):" in out
    for f in findings:
        assert f"    {f['file']}:{f['line']}: {f['rule_id']} [{f['severity']}] " in out


def test_ci_runs_the_first_command() -> None:
    _, command = first_command()
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -e .\n" in script
    assert shlex.join(command) in script
