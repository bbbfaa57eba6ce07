"""Issue 16 defect 13: configuration, baseline, parameter and variable files that nest
100,000 levels deep, are huge or are not regular files give one clear diagnostic naming the
file (exit 2 for the configuration and the baseline), never `internal error` nor a traceback."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES
from helpers import ha_lint

pytestmark = pytest.mark.slow  # 100,000-level files, each through the CLI

DEPTH = 100_000
DEEP = "[" * DEPTH + "]" * DEPTH


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(FIXTURES / "HA101" / "cfn_bad.yaml", tmp_path / "stack.yaml")
    shutil.copytree(FIXTURES / "HA101" / "tf_bad", tmp_path / "tf")
    return tmp_path


def run(project: Path, *args: str):  # noqa: ANN201
    result = ha_lint("stack.yaml", "tf", "--select", "HA101", *args, cwd=project)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    return result


CONFIGS = {
    ".ha-lint.yml": f"select: {DEEP}\n",
    "config.json.yml": '{"select": ' + DEEP + "}\n",  # JSON is YAML too
    "pyproject.toml": f"[tool.ha-lint]\nselect = {DEEP}\n",
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_a_deep_configuration_file_is_a_config_error(project: Path, name: str) -> None:
    (project / name).write_text(CONFIGS[name])
    result = run(project, "--config", name)
    assert result.returncode == 2
    assert result.stderr.strip() == f"ha-lint: error: {name}: nests too deeply to be a configuration file"


def test_a_deep_configuration_file_found_by_the_search_is_a_config_error(project: Path) -> None:
    os.mkdir(project / ".git")  # the repository root: the search stops here
    (project / ".ha-lint.yml").write_text(f"select: {DEEP}\n")
    result = run(project)
    assert result.returncode == 2 and "nests too deeply to be a configuration file" in result.stderr
    assert ".ha-lint.yml" in result.stderr


def test_a_huge_or_unreadable_configuration_file_is_a_config_error(project: Path) -> None:
    (project / "big.yml").write_text("# padding\n" * 200_000)
    result = run(project, "--config", "big.yml")
    assert result.returncode == 2 and "big.yml: is larger than 1,048,576 bytes; not a configuration file" in result.stderr


@pytest.mark.parametrize("text", ['{"ha-lint-baseline": 1, "findings": ' + DEEP + "}\n", DEEP + "\n"],
                         ids=["findings", "top-level"])
def test_a_deep_baseline_is_a_usage_error(project: Path, text: str) -> None:
    (project / "baseline.json").write_text(text)
    result = run(project, "--baseline", "baseline.json")
    assert result.returncode == 2
    assert "baseline baseline.json nests too deeply to be a baseline" in result.stderr


PARAMETER_FILES = {"params.json": DEEP + "\n", "params.yaml": f"Parameters:\n  DbMultiAz: {DEEP}\n"}


@pytest.mark.parametrize("name", list(PARAMETER_FILES))
def test_a_deep_parameter_file_is_one_error_and_the_scan_goes_on(project: Path, name: str) -> None:
    (project / name).write_text(PARAMETER_FILES[name])
    result = run(project, "--parameter-file", name, "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert [(e["file"], e["message"]) for e in report["errors"]] == \
        [(name, "nests deeper than 50 levels; not a parameter file, not read")]
    assert {f["file"] for f in report["findings"]} == {"stack.yaml", "tf/main.tf"}  # the scan went on


def test_a_deep_var_file_is_one_error_and_the_scan_goes_on(project: Path) -> None:
    (project / "deep.tfvars").write_text(f"multi_az = {DEEP}\n")
    result = run(project, "--var-file", "deep.tfvars", "--format", "json")
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert [e["file"] for e in report["errors"]] == ["deep.tfvars"]
    assert "nests too deeply" in report["errors"][0]["message"]
    assert "stack.yaml" in {f["file"] for f in report["findings"]}
