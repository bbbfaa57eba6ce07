"""The kinds table: entries of one kind merge, and what would silently replace an earlier
declaration (a native type as another kind, a property declared twice) is refused."""

from __future__ import annotations

import pytest

from ha_lint import kinds
from ha_lint.kinds import P


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> dict:
    """A copy of the table for the test to declare into; the real one stays as loaded."""
    copy = dict(kinds._TABLE)
    monkeypatch.setattr(kinds, "_TABLE", copy)
    return copy


def test_a_second_entry_of_a_kind_adds_properties_and_native_types(table: dict) -> None:
    kinds.kind("trial_store", cfn="Trial::Store", tf="trial_store", props={"size": P("Size", "size", 1)})
    kinds.kind("trial_store", cfn="Trial::Store", tf="trial_store_v2", props={"zone": P("Zone", "zone")})
    assert (kinds.native_path("Trial::Store", "size"), kinds.native_path("Trial::Store", "zone")) == ("Size", "Zone")
    assert kinds.default_of("trial_store", "size") == 1 and kinds.native_path("trial_store_v2", "size") is None
    assert kinds.kind_of("trial_store_v2") == "trial_store"


def test_a_property_declared_twice_or_a_type_of_two_kinds_is_refused(table: dict) -> None:
    with pytest.raises(ValueError, match=r"kinds: port of AWS::Redshift::Cluster \(redshift_cluster\) declared twice"):
        kinds.kind("redshift_cluster", cfn="AWS::Redshift::Cluster", props={"port": P("Port", "port", 5440)})
    assert kinds.default_of("AWS::Redshift::Cluster", "port") == 5439  # the first declaration stands
    with pytest.raises(ValueError, match="AWS::RDS::DBInstance is declared as rds_instance and as s3_bucket"):
        kinds.kind("s3_bucket", cfn="AWS::RDS::DBInstance")
    assert kinds.kind_of("AWS::RDS::DBInstance") == "rds_instance"


def test_each_subnet_group_type_has_its_own_name_property() -> None:
    assert kinds.native_path("AWS::RDS::DBSubnetGroup", "name") == "DBSubnetGroupName"
    assert kinds.native_path("AWS::ElastiCache::SubnetGroup", "name") == "CacheSubnetGroupName"
    assert {kinds.native_path(t, "subnets") for t in ("AWS::RDS::DBSubnetGroup", "AWS::ElastiCache::SubnetGroup")} == {
        "SubnetIds"}
    assert kinds.native_path("aws_elasticache_subnet_group", "name") == "name"
