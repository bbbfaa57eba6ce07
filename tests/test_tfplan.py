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
    assert orders.props["endpoint"] is UNKNOWN and orders.props["availability_zone"] is UNKNOWN
    assert "deletion_protection" not in orders.props  # null: absent, so the provider default applies
    assert orders.get("deletion_protection").present is False
    assert orders.meta == {"region": "eu-west-1", "module": "module.orders_db", "references": []}
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
    assert group.meta["region"] == "ap-southeast-2"  # the provider's region from a variable's value
    worker = by_address["aws_lambda_function.worker"]
    assert worker.props["vpc_config"] == [{"security_group_ids": ["sg-0abc"], "subnet_ids": Ref("aws_subnet.private[1]", "id"),
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
