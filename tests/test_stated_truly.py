"""Findings stated truly (issue 20 precision review): a remedy the engine cannot take is not
offered (HA101 on SQL Server Express), and a consequence a cross-Region replica prevents is
not claimed (HA108 on a Global Datastore member)."""

from __future__ import annotations

import pytest

from conftest import FIXTURES
from ha_lint.engine import all_rules, select
from ha_lint.scan import ScanSettings, scan


def findings(rule: str, path: str) -> dict:
    rules = [cls() for cls in select(all_rules(), [rule], None)]
    result = scan(ScanSettings(paths=[str(FIXTURES / rule / path)]), rules)
    assert result.errors == []
    return {f.resource: f for f in result.findings}


@pytest.mark.parametrize("fixture, resource", [
    ("cfn_info_sqlserver_express.yaml", "ExpressDb"),
    ("tf_info_sqlserver_express", "aws_db_instance.express"),
])
def test_sql_server_express_is_info_and_names_the_edition_limit(fixture: str, resource: str) -> None:
    [(address, finding)] = findings("HA101", fixture).items()
    assert address == resource
    assert finding.severity == "info"
    assert "cannot be Multi-AZ" in finding.message
    assert "MultiAZ: true" not in finding.message and "multi_az = true" not in finding.message


@pytest.mark.parametrize("fixture", ["cfn_bad.yaml", "tf_bad"])
def test_other_engines_keep_the_multi_az_remedy_at_high(fixture: str) -> None:
    found = findings("HA101", fixture)
    remedy = "set `MultiAZ: true`" if fixture.startswith("cfn") else "set `multi_az = true`"
    assert found and all(f.severity == "high" and remedy in f.message for f in found.values())


@pytest.mark.parametrize("fixture, resources", [
    ("cfn_global_datastore.yaml", {"Primary"}),
    ("tf_global_datastore", {"aws_elasticache_replication_group.primary", "aws_elasticache_replication_group.secondary"}),
])
def test_a_global_datastore_member_keeps_its_data_in_the_other_region(fixture: str, resources: set) -> None:
    found = findings("HA108", fixture)
    assert set(found) == resources
    for finding in found.values():
        assert finding.severity == "medium"
        assert "another Region of its Global Datastore is promoted" in finding.message
        assert "is lost" not in finding.message


def test_without_snapshots_the_loss_is_all_the_data_not_since_the_last_snapshot() -> None:
    found = findings("HA108", "cfn_bad.yaml")
    single = found["SingleNode"]
    assert single.severity == "high"
    assert "its data is lost (it keeps no snapshots)" in single.message
    assert "since the last snapshot" not in single.message


@pytest.mark.parametrize("fixture, severities", [
    ("cfn_internal_lb.yaml", {"InternalSg": "low", "DbProxySg": "medium", "PublicSg": "medium",
                              "PublicDbSg": "high"}),
    ("tf_internal_lb", {"aws_security_group.internal": "low", "aws_security_group.db_proxy": "medium",
                        "aws_security_group.public": "medium", "aws_security_group.public_db": "high"}),
])
def test_all_traffic_to_internal_load_balancers_is_not_the_internet(fixture: str, severities: dict) -> None:
    """Behind internal load balancers: low, medium with a database listener. Behind
    internet-facing ones the listeners answer the internet by design: medium with web
    listeners only, high when a listener serves a database port (MySQL 3306 here)."""
    found = findings("NS403", fixture)
    assert {address: f.severity for address, f in found.items()} == severities
    for address, finding in found.items():
        internal = "public" not in address.lower()
        assert ("routed into the VPC, not from the internet" in finding.message) == internal
        assert "faces the internet" not in finding.message
        assert ("MySQL" in finding.message or "3306" in finding.message) == address.lower().endswith("public_db" if "." in address else "publicdbsg")


@pytest.mark.parametrize("rule", ["NS401", "NS402"])
@pytest.mark.parametrize("fixture", ["cfn_internal_lb.yaml", "tf_internal_lb"])
def test_a_port_served_by_an_internal_load_balancer_is_medium_and_says_why(rule: str, fixture: str) -> None:
    [finding] = findings(rule, fixture).values()
    assert finding.severity == "medium"
    assert "any network routed into the VPC, not the internet" in finding.message
    assert "whole internet" not in finding.message


@pytest.mark.parametrize("fixture, resources", [
    ("cfn_replicas_keep_data.yaml", {"Sessions"}),
    ("tf_replicas_keep_data", {"aws_elasticache_replication_group.sessions", "aws_elasticache_replication_group.jobs"}),
])
def test_a_group_with_replicas_keeps_its_data_on_them(fixture: str, resources: set) -> None:
    """Failover off, but every shard has a replica (a second node, or a cache cluster that
    joins the group): ElastiCache replicates asynchronously, so the data survives the primary
    up to the replication lag. Writes stop until a replica is promoted; no data loss is
    claimed (third precision review: terraform-aws-elasticache's cluster-replica example was
    told 'its data is lost (it keeps no snapshots)')."""
    found = findings("HA108", fixture)
    assert set(found) == resources
    for finding in found.values():
        assert finding.severity == "high"
        assert "writes stop until a replica is promoted or the primary is replaced" in finding.message
        assert "its replicas keep the data (up to their replication lag)" in finding.message
        assert "is lost" not in finding.message
