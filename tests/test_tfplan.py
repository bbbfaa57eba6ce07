"""Terraform plans (``terraform show -json plan.out``): resolved values, final addresses,
unknowns after apply; the same findings as the HCL the plan stands for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FIXTURES
from ha_lint.engine import all_rules, select
from ha_lint.graph import Architecture
from ha_lint.loaders import LoadFailure
from ha_lint.loaders.tfplan import load
from ha_lint.model import ResourceMeta
from ha_lint.resolve.tfplan import resolve
from ha_lint.scan import ScanSettings, scan
from ha_lint.values import UNKNOWN, Ref

RULES = ["HA101", "BK201", "NS401"]
HCL = FIXTURES / "resolve" / "tf_module_inputs"
PLAN = FIXTURES / "resolve" / "tf_plan" / "plan.json"


def findings(path: Path):
    result = scan(ScanSettings(paths=[str(path)], jobs=1), [cls() for cls in select(all_rules(), RULES, None)])
    assert result.errors == [] and result.rule_failures == []
    return result.findings


def test_plan_gives_the_same_findings_as_the_hcl_it_stands_for() -> None:
    from_hcl = {(f.rule_id, f.resource, f.resource_type, f.severity, f.detail) for f in findings(HCL)}
    from_plan = {(f.rule_id, f.resource, f.resource_type, f.severity, f.detail) for f in findings(PLAN)}
    assert from_plan == from_hcl
    assert len(from_plan) == 4


def test_plan_resources_carry_values_addresses_unknowns_and_region() -> None:
    _, found = resolve(load(PLAN.read_text(), str(PLAN)), None)
    by_address = {r.address: r for r in found}
    assert sorted(by_address) == ["aws_security_group.db_admin", "module.billing_db.aws_db_instance.this",
                                  "module.orders_db.aws_db_instance.this", "module.reports_db.aws_db_instance.this"]
    orders = by_address["module.orders_db.aws_db_instance.this"]
    assert orders.props["multi_az"] is False and orders.props["identifier"] == "orders"
    # Known only after apply and not written in the configuration: computed by the provider,
    # so absent, as in the HCL the plan stands for.
    assert "endpoint" not in orders.props and "availability_zone" not in orders.props
    assert "deletion_protection" not in orders.props  # null: absent, so the provider default applies
    assert orders.get("deletion_protection").present is False
    assert orders.meta == ResourceMeta(region="eu-west-1", module="module.orders_db", references=[],
                                       computed_paths=())  # every input is a literal of the module call
    assert orders.line == 154  # where the resource is in the plan file


PLAN_WITH_REFERENCES = {
    "format_version": "1.2",
    "terraform_version": "1.7.5",
    "variables": {"region": {"value": "ap-southeast-2"}},
    "planned_values": {"root_module": {"resources": [
        {"address": "aws_subnet.private[0]", "mode": "managed", "type": "aws_subnet", "name": "private", "index": 0,
         "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 1,
         "values": {"availability_zone": "ap-southeast-2a", "cidr_block": "10.0.0.0/24"}},
        {"address": "aws_subnet.private[1]", "mode": "managed", "type": "aws_subnet", "name": "private", "index": 1,
         "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 1,
         "values": {"availability_zone": "ap-southeast-2b", "cidr_block": "10.0.1.0/24"}},
        {"address": "aws_db_subnet_group.main", "mode": "managed", "type": "aws_db_subnet_group", "name": "main",
         "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
         "values": {"name": "main"}},
        {"address": "aws_lambda_function.worker", "mode": "managed", "type": "aws_lambda_function", "name": "worker",
         "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
         "values": {"function_name": "worker", "vpc_config": [{"security_group_ids": ["sg-0abc"]}]}},
        {"address": "data.aws_availability_zones.available", "mode": "data", "type": "aws_availability_zones",
         "name": "available", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
         "values": {"names": ["ap-southeast-2a", "ap-southeast-2b"]}},
    ]}},
    "resource_changes": [
        {"address": "aws_db_subnet_group.main", "mode": "managed", "type": "aws_db_subnet_group", "name": "main",
         "change": {"actions": ["create"], "after": {"name": "main"},
                    "after_unknown": {"arn": True, "id": True, "subnet_ids": True}}},
        {"address": "aws_lambda_function.worker", "mode": "managed", "type": "aws_lambda_function", "name": "worker",
         "change": {"actions": ["create"], "after": {"function_name": "worker"},
                    "after_unknown": {"arn": True, "vpc_config": [{"subnet_ids": True, "vpc_id": True}]}}},
    ],
    "configuration": {
        "provider_config": {"aws": {"name": "aws", "expressions": {"region": {"references": ["var.region"]}}}},
        "root_module": {"resources": [
            {"address": "aws_db_subnet_group.main", "mode": "managed", "type": "aws_db_subnet_group", "name": "main",
             "provider_config_key": "aws",
             "expressions": {"subnet_ids": {"references": ["aws_subnet.private"]}}},
            {"address": "aws_lambda_function.worker", "mode": "managed", "type": "aws_lambda_function",
             "name": "worker", "provider_config_key": "aws",
             "expressions": {"vpc_config": [{"subnet_ids": {"references": ["aws_subnet.private[1].id",
                                                                           "aws_subnet.private[1]"]}}]}},
        ]},
    },
}


def test_unknown_attributes_hold_references_from_the_configuration() -> None:
    _, found = resolve(load(json.dumps(PLAN_WITH_REFERENCES, indent=2), "plan.json"), None)
    by_address = {r.address: r for r in found}
    assert "data.aws_availability_zones.available" not in by_address  # data sources are not resources
    group = by_address["aws_db_subnet_group.main"]
    assert group.props["subnet_ids"] == Ref("aws_subnet.private")  # every instance: the graph finds both
    assert group.meta.region == "ap-southeast-2"  # the provider's region from a variable's value
    worker = by_address["aws_lambda_function.worker"]
    assert worker.props["vpc_config"] == [{"security_group_ids": ["sg-0abc"], "subnet_ids": [Ref("aws_subnet.private[1]", "id")],
                                           "vpc_id": UNKNOWN}]
    arch = Architecture([], found)
    assert {r.address for r in arch.targets(group)} == {"aws_subnet.private[0]", "aws_subnet.private[1]"}
    assert [r.address for r in arch.targets(worker)] == ["aws_subnet.private[1]"]


def test_a_file_that_is_not_a_plan_is_one_clear_error() -> None:
    with pytest.raises(LoadFailure) as bad:
        load('{\n  "format_version": "1.2",\n  "planned_values": [\n', "plan.json")
    assert bad.value.line == 4
    with pytest.raises(LoadFailure, match="not a Terraform plan"):
        load('{"format_version": "1.2", "planned_values": []}', "plan.json")


def _planned(address: str, type_: str, values: dict, unknown: dict) -> tuple[dict, dict]:
    name = address.rsplit(".", 1)[-1]
    return ({"address": address, "mode": "managed", "type": type_, "name": name, "values": values},
            {"address": address, "type": type_, "change": {"actions": ["create"], "after_unknown": unknown}})


def _plan(resources: list[tuple[dict, dict]], expressions: dict[str, dict], variables: dict | None = None,
          root_variables: dict | None = None, module_calls: dict | None = None) -> dict:
    return {
        "format_version": "1.2",
        "variables": variables or {},
        "planned_values": {"root_module": {"resources": [p for p, _ in resources]}},
        "resource_changes": [c for _, c in resources],
        "configuration": {"provider_config": {"aws": {"name": "aws", "expressions": {"region": {"constant_value": "us-east-1"}}}},
                          "root_module": {
                              "variables": root_variables or {},
                              "resources": [{"address": a, "type": a.split(".")[0], "provider_config_key": "aws", "expressions": e}
                                            for a, e in expressions.items()],
                              "module_calls": module_calls or {}}},
    }


def _scan_plan(tmp_path: Path, plan: dict, rules: list[str]) -> set[tuple[str, str]]:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=2))
    result = scan(ScanSettings(paths=[str(path)], jobs=1), [cls() for cls in select(all_rules(), rules, None)])
    assert result.errors == [] and result.rule_failures == []
    return {(f.rule_id, f.resource) for f in result.findings}


def test_an_attribute_the_provider_computes_and_the_configuration_does_not_write_takes_the_default(tmp_path: Path) -> None:
    # Left unset, these are known only after apply in a real plan; the HCL says absent, and
    # absent means the provider's default: 1 day of backups, no PITR, EC2 health checks.
    plan = _plan([
        _planned("aws_db_instance.main", "aws_db_instance",
                 {"engine": "postgres", "instance_class": "db.t3.micro", "multi_az": True, "allocated_storage": 20},
                 {"backup_retention_period": True, "id": True, "endpoint": True}),
        _planned("aws_dynamodb_table.t", "aws_dynamodb_table",
                 {"name": "t", "hash_key": "id", "billing_mode": "PAY_PER_REQUEST"},
                 {"point_in_time_recovery": True, "arn": True}),
        _planned("aws_autoscaling_group.web", "aws_autoscaling_group",
                 {"availability_zones": ["us-east-1a"], "min_size": 2, "max_size": 4,
                  "target_group_arns": ["arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/web/abc"]},
                 {"health_check_type": True, "vpc_zone_identifier": True, "id": True}),
    ], {
        "aws_db_instance.main": {"engine": {"constant_value": "postgres"}, "instance_class": {"constant_value": "db.t3.micro"},
                                 "multi_az": {"constant_value": True}, "allocated_storage": {"constant_value": 20}},
        "aws_dynamodb_table.t": {"name": {"constant_value": "t"}, "hash_key": {"constant_value": "id"},
                                 "billing_mode": {"constant_value": "PAY_PER_REQUEST"}},
        "aws_autoscaling_group.web": {"availability_zones": {"constant_value": ["us-east-1a"]},
                                      "min_size": {"constant_value": 2}, "max_size": {"constant_value": 4},
                                      "target_group_arns": {"constant_value": ["arn:..."]}},
    })
    found = _scan_plan(tmp_path, plan, ["BK202", "BK205", "HA104", "HA114"])
    assert found == {("BK202", "aws_db_instance.main"), ("BK205", "aws_dynamodb_table.t"),
                     ("HA104", "aws_autoscaling_group.web"), ("HA114", "aws_autoscaling_group.web")}
    # Written in the configuration but known only after apply: unknown, not bad.
    plan["configuration"]["root_module"]["resources"][0]["expressions"]["backup_retention_period"] = \
        {"references": ["aws_ssm_parameter.days.value", "aws_ssm_parameter.days"]}
    assert ("BK202", "aws_db_instance.main") not in _scan_plan(tmp_path, plan, ["BK202"])


def test_one_new_subnet_in_a_list_attribute_is_a_list_of_one(tmp_path: Path) -> None:
    plan = _plan([
        _planned("aws_subnet.a", "aws_subnet", {"availability_zone": "us-east-1a", "cidr_block": "10.0.1.0/24"}, {"id": True}),
        _planned("aws_db_subnet_group.db", "aws_db_subnet_group", {"name": "db"}, {"subnet_ids": True}),
    ], {
        "aws_subnet.a": {"availability_zone": {"constant_value": "us-east-1a"}, "cidr_block": {"constant_value": "10.0.1.0/24"}},
        "aws_db_subnet_group.db": {"name": {"constant_value": "db"}, "subnet_ids": {"references": ["aws_subnet.a.id", "aws_subnet.a"]}},
    })
    assert _scan_plan(tmp_path, plan, ["HA103"]) == {("HA103", "aws_db_subnet_group.db")}


def test_a_plan_secret_is_hard_coded_only_when_the_configuration_writes_it(tmp_path: Path) -> None:
    # terraform show -json prints sensitive values in plain text: the configuration says
    # whether the template holds them.
    db = {"engine": "postgres", "instance_class": "db.t3.micro", "allocated_storage": 20}
    plan = _plan([
        _planned("aws_db_instance.literal", "aws_db_instance", {**db, "password": "Hunter2-literal"}, {}),
        _planned("aws_db_instance.from_input", "aws_db_instance", {**db, "password": "given-at-plan-time"}, {}),
        _planned("aws_db_instance.from_default", "aws_db_instance", {**db, "password": "default-Pa55word"}, {}),
        _planned("aws_db_instance.from_random", "aws_db_instance", {**db, "password": "x8Fq2-generated"}, {}),
        _planned("module.db.aws_db_instance.this", "aws_db_instance", {**db, "password": "module-Pa55word"}, {}),
    ], {
        "aws_db_instance.literal": {"password": {"constant_value": "Hunter2-literal"}},
        "aws_db_instance.from_input": {"password": {"references": ["var.db_password"]}},
        "aws_db_instance.from_default": {"password": {"references": ["var.default_password"]}},
        "aws_db_instance.from_random": {"password": {"references": ["random_password.db.result", "random_password.db"]}},
    }, variables={"db_password": {"value": "given-at-plan-time"}, "default_password": {"value": "default-Pa55word"}},
        root_variables={"db_password": {"sensitive": True}, "default_password": {"default": "default-Pa55word"}},
        module_calls={"db": {"source": "./db", "expressions": {"password": {"constant_value": "module-Pa55word"}},
                             "module": {"variables": {"password": {}},
                                        "resources": [{"address": "aws_db_instance.this", "type": "aws_db_instance",
                                                       "provider_config_key": "db:aws",
                                                       "expressions": {"password": {"references": ["var.password"]}}}]}}})
    assert {r for rule, r in _scan_plan(tmp_path, plan, ["SC501"])} == {
        "aws_db_instance.literal", "aws_db_instance.from_default", "module.db.aws_db_instance.this"}
