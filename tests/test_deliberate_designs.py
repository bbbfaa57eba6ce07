"""Deliberate designs are stated as trade-offs, not defects: a node group in a cluster
placement group is single-AZ by necessity (HA113 at info severity)."""

from __future__ import annotations

import pytest

from conftest import FIXTURES
from ha_lint.engine import all_rules, select
from ha_lint.scan import ScanSettings, scan


@pytest.mark.parametrize("fixture, placed, plain", [
    ("cfn_placement.yaml", "HpcNodes", "SpreadNodes"),
    ("tf_placement", "aws_eks_node_group.hpc", "aws_eks_node_group.plain"),
])
def test_cluster_placement_node_group_is_info_and_says_why(fixture: str, placed: str, plain: str) -> None:
    rules = [cls() for cls in select(all_rules(), ["HA113"], None)]
    result = scan(ScanSettings(paths=[str(FIXTURES / "HA113" / fixture)]), rules)
    by_resource = {f.resource: f for f in result.findings}
    assert set(by_resource) == {placed, plain}
    assert by_resource[placed].severity == "info"
    assert "cluster placement group" in by_resource[placed].message
    assert "traded for availability" in by_resource[placed].message
    assert by_resource[plain].severity == "medium"
