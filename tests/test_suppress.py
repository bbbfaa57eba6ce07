"""Suppressions as teams write them: comments in YAML and HCL, Metadata in JSON and CDK
output, each with a reason; and the suppressions that rot (no reason, no such rule,
nothing to suppress) reported so they do not."""

from __future__ import annotations

import json
from pathlib import Path

from ha_lint.suppress import comments_in
from helpers import ha_lint, report

SUPPRESSED_YAML = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  # ha-lint: ignore[HA101] reporting replica, rebuilt from the primary in minutes
  ReportsDb:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      MultiAZ: false
  DevDb:  # ha-lint: ignore[rds-instance-single-az] dev database, re-created nightly
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: mysql
  CacheDb:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: mysql
      MultiAZ: false  # ha-lint: ignore[HA101, NS401]: scratch database for load tests
  OrdersDb:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      MultiAZ: false
"""

CDK_JSON = {
    "Resources": {
        "OrdersDb1234ABCD": {
            "Type": "AWS::RDS::DBInstance",
            "Properties": {"Engine": "postgres", "DBInstanceClass": "db.m6g.large", "MultiAZ": False},
            "Metadata": {"aws:cdk:path": "Orders/OrdersDb/Resource",
                         "ha-lint": {"ignore": [{"rule": "HA101", "reason": "single-AZ by design: batch reporting"}]}},
        },
        "AuditDb5678EFGH": {
            "Type": "AWS::RDS::DBInstance",
            "Properties": {"Engine": "postgres", "MultiAZ": False},
            "Metadata": {"aws:cdk:path": "Orders/AuditDb/Resource", "ha-lint": {"ignore": ["rds-instance-single-az"]}},
        },
        "LedgerDb9999AAAA": {
            "Type": "AWS::RDS::DBInstance",
            "Properties": {"Engine": "postgres", "MultiAZ": False},
        },
    },
}


def by_rule(doc: dict) -> list[tuple[int, str, str]]:
    return sorted((f["line"], f["rule_id"], f["resource"]) for f in doc["findings"])


def test_yaml_comments_suppress_with_reasons_and_are_counted(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(SUPPRESSED_YAML)
    code, doc = report("app.yaml", "--select", "HA101,NS401", "--show-suppressed", cwd=tmp_path)
    # Only the unsuppressed database, plus the suppression that names NS401 for nothing.
    assert by_rule(doc) == [(17, "HL003", "CacheDb"), (22, "HA101", "OrdersDb")]
    assert code == 1
    assert doc["summary"]["suppressed"] == 3
    reasons = {s["resource"]: s["suppression"]["reason"] for s in doc["suppressed"]}
    assert reasons == {"ReportsDb": "reporting replica, rebuilt from the primary in minutes",
                       "DevDb": "dev database, re-created nightly",
                       "CacheDb": "scratch database for load tests"}
    assert {s["suppression"]["at"] for s in doc["suppressed"]} == {"app.yaml:3", "app.yaml:9", "app.yaml:17"}
    text = ha_lint("app.yaml", "--select", "HA101", "--show-suppressed", "--no-color", cwd=tmp_path).stdout
    assert "; 3 suppressed" in text
    assert "comment at app.yaml:3: reporting replica, rebuilt from the primary in minutes" in text
    plain = ha_lint("app.yaml", "--select", "HA101", "--no-color", cwd=tmp_path).stdout
    assert "ReportsDb" not in plain and "; 3 suppressed" in plain


def test_suppression_follows_its_resource_when_lines_move(tmp_path: Path) -> None:
    moved = SUPPRESSED_YAML.replace("Resources:\n", "Description: orders\nMetadata:\n  Owner: team-orders\nResources:\n")
    (tmp_path / "app.yaml").write_text(moved)
    _, doc = report("app.yaml", "--select", "HA101", cwd=tmp_path)
    assert [(f["rule_id"], f["resource"]) for f in doc["findings"]] == [("HA101", "OrdersDb")]
    assert doc["summary"]["suppressed"] == 3


def test_json_and_cdk_output_use_the_metadata_form(tmp_path: Path) -> None:
    out = tmp_path / "cdk.out"
    out.mkdir()
    (out / "Orders.template.json").write_text(json.dumps(CDK_JSON, indent=1))
    _, doc = report(str(out), "--select", "HA101", "--show-suppressed", cwd=tmp_path)
    found = sorted((f["rule_id"], f["resource"]) for f in doc["findings"])
    # AuditDb is suppressed but its entry has no reason; LedgerDb has no suppression.
    assert found == [("HA101", "LedgerDb9999AAAA"), ("HL001", "AuditDb5678EFGH")]
    assert {s["resource"]: s["suppression"]["kind"] for s in doc["suppressed"]} == {
        "OrdersDb1234ABCD": "metadata", "AuditDb5678EFGH": "metadata"}
    assert next(s for s in doc["suppressed"] if s["resource"] == "OrdersDb1234ABCD")["suppression"]["reason"] == \
        "single-AZ by design: batch reporting"


def test_template_metadata_covers_the_whole_template(tmp_path: Path) -> None:
    template = dict(CDK_JSON, Metadata={"ha-lint": {"ignore": [{"rule": "HA101", "reason": "sandbox account"}],
                                                   "dr-strategy": "backup-restore"}})
    (tmp_path / "sandbox.json").write_text(json.dumps(template))
    _, doc = report("sandbox.json", "--select", "HA101", cwd=tmp_path)
    assert [f["rule_id"] for f in doc["findings"]] == ["HL001"]  # AuditDb's own entry still lacks a reason
    assert doc["summary"]["suppressed"] == 3


def test_rotting_suppressions_are_reported_and_typos_suppress_nothing(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text("""\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  NoReason:  # ha-lint: ignore[HA101]
    Type: AWS::RDS::DBInstance
    Properties: {Engine: mysql}
  Typo:  # ha-lint: ignore[HA1O1] dev database
    Type: AWS::RDS::DBInstance
    Properties: {Engine: mysql}
  Misspelt:  # ha-lint: ignroe[HA101] dev database
    Type: AWS::RDS::DBInstance
    Properties: {Engine: mysql}
  Fixed:  # ha-lint: ignore[HA101] was single-AZ
    Type: AWS::RDS::DBInstance
    Properties: {Engine: mysql, MultiAZ: true}
  BadMeta:
    Type: AWS::RDS::DBInstance
    Metadata:
      ha-lint: {ignore: [{rules: HA101}]}
    Properties: {Engine: mysql, MultiAZ: true}
""")
    code, doc = report("app.yaml", "--select", "HA101", cwd=tmp_path)
    assert code == 1
    found = {(f["line"], f["rule_id"], f["resource"]) for f in doc["findings"]}
    assert found == {
        (3, "HL001", "NoReason"),   # reason missing: still suppresses HA101 on NoReason
        (6, "HA101", "Typo"), (6, "HL002", "Typo"),  # the typo suppresses nothing
        (9, "HA101", "Misspelt"), (9, "HL002", "Misspelt"),  # not a directive: suppresses nothing
        (12, "HL003", "Fixed"),  # nothing left to suppress
        (15, "HL002", "BadMeta"),  # malformed Metadata entry
    }
    messages = {f["rule_id"] + str(f["line"]): f["message"] for f in doc["findings"]}
    assert "(did you mean HA101?)" in messages["HL0026"]
    assert "ignore[RULE] reason" in messages["HL0029"]
    assert doc["summary"]["suppressed"] == 1


def test_unused_is_judged_only_for_rules_that_ran_and_hl_rules_can_be_tuned(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text("""\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Db:  # ha-lint: ignore[HA101] fixed last week
    Type: AWS::RDS::DBInstance
    Properties: {Engine: mysql, MultiAZ: true}
""")
    _, doc = report("app.yaml", "--select", "NS401", cwd=tmp_path)
    assert doc["findings"] == []  # HA101 did not run: cannot tell
    _, doc = report("app.yaml", "--select", "HA101", cwd=tmp_path)
    assert [f["rule_id"] for f in doc["findings"]] == ["HL003"]  # HL rules stay on under --select
    _, doc = report("app.yaml", "--select", "HA101", "--ignore", "HL003", cwd=tmp_path)
    assert doc["findings"] == []
    (tmp_path / ".ha-lint.yml").write_text("severity: {suppression-unused: info}\nfail-on: low\n")
    code, doc = report("app.yaml", "--select", "HA101", cwd=tmp_path)
    assert [f["severity"] for f in doc["findings"]] == ["info"] and code == 0


def test_comment_syntax_is_the_same_in_yaml_and_hcl() -> None:
    hcl = """\
# ha-lint: ignore[HA101] dev database
resource "aws_db_instance" "dev" {
  multi_az = false // ha-lint: ignore[BK202] short retention is fine for dev
}
/* ha-lint: ignore[NS401] bastion, IP-restricted by the NACL */
# unrelated comment
resource "aws_security_group" "bastion" {}
# mention ha-lint in prose: not a directive
"""
    found = [(c.line, c.body, c.target) for c in comments_in(hcl)]
    assert found == [
        (1, "ignore[HA101] dev database", 2),
        (3, "ignore[BK202] short retention is fine for dev", None),
        (5, "ignore[NS401] bastion, IP-restricted by the NACL", 7),  # over the comment line below
    ]


def test_hcl_comments_suppress(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("""\
# ha-lint: ignore[HA101] dev database, re-created nightly
resource "aws_db_instance" "dev" {
  engine         = "postgres"
  instance_class = "db.t4g.medium"
  multi_az       = false
}

resource "aws_db_instance" "orders" {
  engine         = "postgres"
  instance_class = "db.m6g.large"
  multi_az       = false # ha-lint: ignore[rds-instance-single-az] migrating to Aurora in Q3
}

resource "aws_db_instance" "ledger" {
  engine         = "postgres"
  instance_class = "db.m6g.large"
  multi_az       = false
}
""")
    _, doc = report(".", "--select", "HA101", cwd=tmp_path)
    assert [(f["rule_id"], f["resource"]) for f in doc["findings"]] == [("HA101", "aws_db_instance.ledger")]
    assert doc["summary"]["suppressed"] == 2
