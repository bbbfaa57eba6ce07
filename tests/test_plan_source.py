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
    # a module's findings at the root's call inputs that decide them, as a scan of the configuration puts them
    assert _places(doc) == {("main.tf", 29, "NS401"), ("main.tf", 8, "HA101"), ("main.tf", 21, "HA101"),
                            ("main.tf", 22, "BK201")}
    assert all(f["file"].startswith(str(SOURCE)) for f in doc["findings"])
    assert doc["warnings"] == []


def test_a_plan_made_with_other_variables_keeps_the_places_not_the_values(tmp_path: Path) -> None:
    """The configuration's tfvars say Multi-AZ on, the plan (made with other variables) says
    off: the plan decides, the input line is still where it is decided, its value not claimed."""
    source = tmp_path / "source"
    shutil.copytree(SOURCE, source)
    (source / "terraform.tfvars").write_text("reports_multi_az    = true\nreports_backup_days = 0\nadmin_cidr = \"0.0.0.0/0\"\n")
    shutil.copy(PLAN, source / "plan.json")
    code, doc = report(str(source / "plan.json"), *RULES)
    assert code == 1
    reports = next(f for f in doc["findings"] if f["rule_id"] == "HA101" and "reports_db" in f["resource"])
    assert (Path(reports["file"]).name, reports["line"]) == ("main.tf", 21)
    assert "module reports_db input multi_az (" in reports["message"]
    assert "input multi_az = true" not in reports["message"]  # the configuration's value is not claimed
    backups = next(f for f in doc["findings"] if f["rule_id"] == "BK201")
    assert "module reports_db input backup_retention_days = 0 (" in backups["message"]  # the same value: kept


def test_a_module_outside_the_repository_is_reported_at_its_call(tmp_path: Path) -> None:
    """A plan of a root whose module terraform init installed (.terraform/modules): nobody can fix
    anything in there, so its findings point at the module block that brings it in."""
    source = tmp_path / "source"
    shutil.copytree(SOURCE, source)
    installed = source / ".terraform" / "modules" / "orders_db"
    shutil.copytree(SOURCE / "modules" / "database", installed)
    written = installed / "main.tf"  # the version installed writes Multi-AZ itself: no input decides it
    written.write_text(written.read_text().replace("multi_az                = var.multi_az", "multi_az                = false"))
    (source / ".terraform" / "modules" / "modules.json").write_text(json.dumps({"Modules": [
        {"Key": "", "Source": "", "Dir": "."},
        {"Key": "orders_db", "Source": "registry.example.com/acme/database/aws", "Version": "1.0.0",
         "Dir": ".terraform/modules/orders_db"}]}))
    main = source / "main.tf"
    main.write_text(main.read_text().replace('module "orders_db" {\n  source   = "./modules/database"',
                                             'module "orders_db" {\n  source   = "registry.example.com/acme/database/aws"'))
    shutil.copy(PLAN, source / "plan.json")
    code, doc = report(str(source / "plan.json"), *RULES)
    orders = next(f for f in doc["findings"] if f["rule_id"] == "HA101" and "orders_db" in f["resource"])
    assert (Path(orders["file"]).relative_to(source).as_posix(), orders["line"]) == ("main.tf", 5)  # module "orders_db"
    assert "registry.example.com/acme/database/aws 1.0.0" in orders["message"]
    reports = next(f for f in doc["findings"] if f["rule_id"] == "HA101" and "reports_db" in f["resource"])
    assert (Path(reports["file"]).relative_to(source).as_posix(), reports["line"]) == ("main.tf", 21)  # local: its input


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


def _lambda_plan(dead_letter_unknown: bool) -> dict:
    """A plan of a function an S3 permission invokes asynchronously, its dead_letter_config
    (a dynamic block in the configuration) known only after apply, or absent."""
    function = {"address": "aws_lambda_function.worker", "mode": "managed", "type": "aws_lambda_function",
                "name": "worker", "values": {"function_name": "worker", "runtime": "python3.12"}}
    permission = {"address": "aws_lambda_permission.s3", "mode": "managed", "type": "aws_lambda_permission",
                  "name": "s3", "values": {"function_name": "worker", "principal": "s3.amazonaws.com",
                                           "action": "lambda:InvokeFunction"}}
    unknown = {"dead_letter_config": True} if dead_letter_unknown else {}
    changes = [{"address": r["address"], "mode": "managed", "type": r["type"], "name": r["name"],
                "change": {"actions": ["create"], "after": r["values"],
                           "after_unknown": unknown if r is function else {}}} for r in (function, permission)]
    config = [{"address": r["address"], "mode": "managed", "type": r["type"], "name": r["name"],
               "provider_config_key": "aws",
               "expressions": {k: {"constant_value": v} for k, v in r["values"].items()}} for r in (function, permission)]
    return {"format_version": "1.2", "planned_values": {"root_module": {"resources": [function, permission]}},
            "resource_changes": changes, "configuration": {"root_module": {"resources": config}}}


LAMBDA_SOURCE = """\
variable "dlq_arns" {
  type = list(string)
}

resource "aws_lambda_function" "worker" {
  function_name = "worker"
  runtime       = "python3.12"
  dynamic "dead_letter_config" {
    for_each = var.dlq_arns
    content {
      target_arn = dead_letter_config.value
    }
  }
}

resource "aws_lambda_permission" "s3" {
  function_name = "worker"
  principal     = "s3.amazonaws.com"
  action        = "lambda:InvokeFunction"
}
"""


def test_a_dynamic_block_the_plan_leaves_unknown_may_exist(tmp_path: Path) -> None:
    """The plan cannot say whether the dynamic dead_letter_config exists (its for_each is known
    after apply): with the configuration found, the function is not reported as keeping no
    failed events (the resolver's meta.dynamic_blocks says the block is written); without
    it nothing says a block may exist, and OP602 reports the plan's function."""
    (tmp_path / "plan.json").write_text(json.dumps(_lambda_plan(True)))
    code, alone = report(str(tmp_path / "plan.json"), "--select", "OP602")
    assert [f["resource"] for f in alone["findings"]] == ["aws_lambda_function.worker"]
    (tmp_path / "main.tf").write_text(LAMBDA_SOURCE)
    code, placed = report(str(tmp_path / "plan.json"), "--select", "OP602")
    assert code == 0 and placed["findings"] == []
    # the same source without the dynamic block: reported, at the configuration's line
    dynamic = LAMBDA_SOURCE[LAMBDA_SOURCE.index("  dynamic"):LAMBDA_SOURCE.index("}\n\nresource \"aws_lambda_permission")]
    (tmp_path / "main.tf").write_text(LAMBDA_SOURCE.replace(dynamic, "  "))
    code, plain = report(str(tmp_path / "plan.json"), "--select", "OP602")
    assert [(f["resource"], Path(f["file"]).name, f["line"]) for f in plain["findings"]] == [
        ("aws_lambda_function.worker", "main.tf", 5)]
