"""A Terraform plan's findings at the configuration's lines: beside the plan, or named with
``--plan-source [PLAN=]DIR``; without it, at the plan with a warning saying how to get lines."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import FIXTURES
from helpers import ha_lint, report

SOURCE = FIXTURES / "resolve" / "tf_module_inputs"
PLAN = FIXTURES / "resolve" / "tf_plan" / "plan.json"
RULES = ("--select", "HA101,BK201,NS401")


def _places(doc: dict) -> set[tuple[str, int, str]]:
    return {(Path(f["file"]).name if "modules" not in f["file"] else "modules/" + Path(f["file"]).name, f["line"],
             f["rule_id"]) for f in doc["findings"]}


def test_plan_source_names_the_directory_of_one_plan(tmp_path: Path) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    shutil.copy(PLAN, plans / "prod.json")
    code, doc = report(str(plans), "--plan-source", f"{plans / 'prod.json'}={SOURCE}", *RULES)
    assert code == 1
    assert _places(doc) == {("main.tf", 29, "NS401"), ("modules/main.tf", 25, "HA101"), ("modules/main.tf", 26, "BK201")}
    assert all(f["file"].startswith(str(SOURCE)) for f in doc["findings"])
    assert doc["warnings"] == []


def test_without_source_the_findings_stay_at_the_plan_with_a_warning(tmp_path: Path) -> None:
    shutil.copy(PLAN, tmp_path / "plan.json")
    code, doc = report(str(tmp_path), *RULES)
    assert code == 1
    assert {f["file"] for f in doc["findings"]} == {str(tmp_path / "plan.json")}
    assert [w["code"] for w in doc["warnings"]] == ["plan-without-source"]
    assert "--plan-source" in doc["warnings"][0]["message"]


def test_an_address_the_source_lacks_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_security_group" "db_admin" {\n  name = "x"\n}\n')
    shutil.copy(PLAN, tmp_path / "plan.json")
    code, doc = report(str(tmp_path / "plan.json"), *RULES)
    assert code == 1
    ns401 = next(f for f in doc["findings"] if f["rule_id"] == "NS401")
    assert (Path(ns401["file"]).name, ns401["line"]) == ("main.tf", 1)
    warning = next(w for w in doc["warnings"] if w["code"] == "plan-source-mismatch")
    assert "module.orders_db.aws_db_instance.this" in warning["message"]


def test_a_plan_source_that_is_not_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    run = ha_lint(str(PLAN), "--plan-source", str(tmp_path / "missing"))
    assert run.returncode == 2
    assert "--plan-source" in run.stderr and "not a directory" in run.stderr
