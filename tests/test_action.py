"""The GitHub Action, run locally: each step of action.yml as the runner would run it (bash
with -eo pipefail, the step's env with its expressions evaluated), with GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY and RUNNER_TEMP pointed at a temporary directory. The install step
really installs this repository (as it is now) into a fresh virtual environment."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import ROOT
from helpers import TEMPLATE, new_repo, snapshot_of_this_repo

pytestmark = pytest.mark.slow  # the GitHub Action installs ha-lint into a fresh environment

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


class Runner:
    """Just enough of the Actions runner for a composite action."""

    def __init__(self, action_path: Path, workspace: Path, temp: Path, inputs: dict[str, str]) -> None:
        self.action_path = action_path
        self.workspace = workspace
        self.temp = temp
        self.inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
        unknown = set(inputs) - set(self.inputs)
        assert not unknown, f"action.yml has no inputs {unknown}"
        self.inputs.update(inputs)
        self.outputs: dict[str, dict[str, str]] = {}
        self.output_file = temp / "github_output"
        self.summary_file = temp / "step_summary.md"
        (temp / "runner").mkdir(parents=True, exist_ok=True)

    def value(self, expression: str) -> str:
        """The expressions action.yml uses; anything else fails the test, on purpose."""
        match = re.fullmatch(r"inputs\.([\w-]+) != ''", expression)
        if match:
            return "true" if self.inputs[match.group(1)] != "" else "false"
        match = re.fullmatch(r"inputs\.([\w-]+)", expression)
        if match:
            return self.inputs[match.group(1)]
        if expression == "github.action_path":
            return str(self.action_path)
        match = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
        if match:
            return self.outputs.get(match.group(1), {}).get(match.group(2), "")
        raise AssertionError(f"the test runner does not know the expression {expression!r}")

    def expand(self, text: str) -> str:
        return _EXPR.sub(lambda m: self.value(m.group(1)), text)

    def condition(self, step: dict) -> bool:
        condition = step.get("if")
        if condition is None:
            return True
        return self.value(_EXPR.sub(lambda m: m.group(1), str(condition)).strip()) == "true"

    def run_step(self, step: dict) -> subprocess.CompletedProcess[str] | None:
        if not self.condition(step):
            return None
        if "uses" in step:
            # actions/setup-python: its one output that the action reads is the interpreter.
            assert step["uses"].startswith("actions/setup-python@"), step["uses"]
            self.outputs[step["id"]] = {"python-path": sys._base_executable}
            return None
        assert "${{" not in step["run"], "inputs must reach scripts through env, never pasted into them"
        assert step["shell"] == "bash"
        self.output_file.write_text("")
        env = {
            **os.environ,
            "GITHUB_OUTPUT": str(self.output_file), "GITHUB_STEP_SUMMARY": str(self.summary_file),
            "GITHUB_WORKSPACE": str(self.workspace), "GITHUB_ACTION_PATH": str(self.action_path),
            "RUNNER_TEMP": str(self.temp / "runner"), "GITHUB_ACTIONS": "true",
            "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/infra", "GITHUB_SHA": "0123abc",
            **{key: self.expand(str(value)) for key, value in (step.get("env") or {}).items()},
        }
        script = self.temp / "step.sh"
        script.write_text(step["run"])
        run = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=self.workspace,
                             env=env, capture_output=True, text=True, timeout=900)
        if "id" in step:
            self.outputs[step["id"]] = dict(line.split("=", 1) for line in self.output_file.read_text().splitlines() if "=" in line)
        return run

    def action_outputs(self) -> dict[str, str]:
        return {name: self.expand(spec["value"]) for name, spec in ACTION["outputs"].items()}


def step(name: str) -> dict:
    return next(s for s in ACTION["runs"]["steps"] if s.get("name") == name)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """This repository as the action's checkout, and a runner temp dir with ha-lint installed by the action."""
    action_path, _ = snapshot_of_this_repo(tmp_path_factory.mktemp("action"))
    temp = tmp_path_factory.mktemp("runner")
    runner = Runner(action_path, temp, temp, {"python-version": "3.11"})
    assert runner.run_step(step("Set up Python")) is None
    install = runner.run_step(step("Install ha-lint"))
    assert install is not None and install.returncode == 0, install.stdout + install.stderr
    assert install.stdout.startswith("ha-lint ")
    return action_path, temp


def workspace(tmp_path: Path) -> Path:
    root = new_repo(tmp_path / "workspace")
    (root / "stacks").mkdir()
    (root / "stacks" / "orders.yaml").write_text(TEMPLATE)
    return root


def test_action_writes_annotations_summary_sarif_outputs_and_fails_per_fail_on(
        installed: tuple[Path, Path], tmp_path: Path) -> None:
    action_path, temp = installed
    ws = workspace(tmp_path)
    runner = Runner(action_path, ws, temp, {"paths": "stacks", "args": "--select HA101,NS401",
                                            "formats": "junit:ha-lint.xml"})
    run = runner.run_step(step("Run ha-lint"))
    assert run is not None
    assert run.returncode == 1, run.stdout + run.stderr  # high findings, fail-on defaults to low

    annotations = [line for line in run.stdout.splitlines() if line.startswith("::")]
    assert "::error file=stacks/orders.yaml,line=10,title=HA101 rds-instance-single-az [high] on OrdersDb::" \
           "RDS instance `OrdersDb` runs in a single Availability Zone" in "\n".join(annotations)
    assert len(annotations) == 2

    summary = runner.summary_file.read_text()
    assert summary.startswith("## ha-lint: 2 findings")
    assert "| 2 | 0 | 0 | 0 | 0 | 0 | 0 |" in summary
    # each finding links to its file and line at the commit
    assert "| [`stacks/orders.yaml:10`](https://github.com/acme/infra/blob/0123abc/stacks/orders.yaml#L10) |" in summary

    assert runner.action_outputs() == {"findings": "2", "sarif-file": "ha-lint.sarif", "exit-code": "1"}
    jsonschema.validate(json.loads((ws / "ha-lint.sarif").read_text()), SCHEMA)
    assert "<testsuites" in (ws / "ha-lint.xml").read_text()

    # fail-on: never lets the job go on, with the same outputs.
    runner = Runner(action_path, ws, temp, {"paths": "stacks", "args": "--select HA101,NS401", "fail-on": "never",
                                            "sarif": "false"})
    run = runner.run_step(step("Run ha-lint"))
    assert run is not None and run.returncode == 0, run.stderr
    assert runner.action_outputs() == {"findings": "2", "sarif-file": "", "exit-code": "0"}
    assert runner.summary_file.read_text().count("## ha-lint: 2 findings") == 2  # appended, as the runner does


def test_action_reports_a_usage_error(installed: tuple[Path, Path], tmp_path: Path) -> None:
    action_path, temp = installed
    ws = workspace(tmp_path)
    (ws / ".ha-lint.yml").write_text("fail_on: high\n")
    runner = Runner(action_path, ws, temp, {"paths": "stacks"})
    run = runner.run_step(step("Run ha-lint"))
    assert run is not None and run.returncode == 2
    assert ".ha-lint.yml: fail_on: unknown key" in run.stderr
    assert "::error title=ha-lint::ha-lint could not run (exit code 2)" in run.stdout
    assert runner.action_outputs() == {"findings": "", "sarif-file": "ha-lint.sarif", "exit-code": "2"}


def test_readme_workflow_uses_the_action_as_defined() -> None:
    from helpers import readme_blocks

    workflow = yaml.safe_load(readme_blocks("GitHub Action", "yaml")[0])
    steps = workflow["jobs"]["ha-lint"]["steps"]
    ours = next(s for s in steps if s.get("id") == "ha-lint")
    assert set(ours["with"]) <= set(ACTION["inputs"])
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "${{ steps.ha-lint.outputs.sarif-file }}"
    assert "sarif-file" in ACTION["outputs"]
    assert workflow["permissions"]["security-events"] == "write"


def test_action_adds_the_resilience_change_of_a_pull_request_and_fails_on_regression(
        installed: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpers import commit_all

    action_path, temp = installed
    ws = new_repo(tmp_path / "workspace")
    (ws / "stacks").mkdir()
    multi_az = TEMPLATE.replace("MultiAZ: false", "MultiAZ: true")
    assert multi_az != TEMPLATE
    (ws / "stacks" / "orders.yaml").write_text(multi_az)
    base = commit_all(ws, "base")
    subprocess.run(["git", "update-ref", "refs/remotes/origin/main", base], cwd=ws, check=True)
    subprocess.run(["git", "checkout", "--quiet", "-b", "single-az"], cwd=ws, check=True)
    (ws / "stacks" / "orders.yaml").write_text(TEMPLATE)
    commit_all(ws, "single-AZ")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    monkeypatch.setenv("GITHUB_BASE_REF", "main")

    inputs = {"paths": "stacks", "args": "--select HA101", "fail-on": "never", "sarif": "false"}
    runner = Runner(action_path, ws, temp, inputs)
    run = runner.run_step(step("Run ha-lint"))
    assert run is not None and run.returncode == 0, run.stdout + run.stderr
    summary = runner.summary_file.read_text()
    assert "### Resilience change\n\n**1 new single point of failure; loss of any one AZ: RTO " in summary
    assert "| stacks/orders.yaml | changed | single point of failure OrdersDb (HA101)" in summary

    runner = Runner(action_path, ws, temp, {**inputs, "fail-on-regression": "true"})
    run = runner.run_step(step("Run ha-lint"))
    assert run is not None and run.returncode == 1
    assert "::error title=ha-lint::this pull request weakens resilience" in run.stdout
    assert runner.action_outputs()["exit-code"] == "1"

    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")  # not a pull request: no comparison
    runner = Runner(action_path, ws, temp, {**inputs, "fail-on-regression": "true"})
    before = runner.summary_file.read_text()
    run = runner.run_step(step("Run ha-lint"))
    assert run is not None and run.returncode == 0
    added = runner.summary_file.read_text()[len(before):]  # the runner appends to one summary file
    assert added.startswith("## ha-lint") and "Resilience change" not in added
