"""One repository written every way ha-lint reads (CloudFormation, Terraform HCL, the JSON
syntax of a cdktf stack, a Terragrunt tree, a plan beside its configuration): each finding is
reported once, at a line a reviewer can click (in a file of the repository, on the line that
writes the value; never the one-line plan file)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

from conftest import FIXTURES
from ha_lint.engine import all_rules, select
from ha_lint.scan import ScanSettings, scan

CFN = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  OrdersDb:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      DBInstanceClass: db.m6g.large
      AllocatedStorage: "100"
      BackupRetentionPeriod: 7
      MultiAZ: false
"""

DB = """\
resource "aws_db_instance" "billing" {
  engine                  = "postgres"
  instance_class          = "db.m6g.large"
  allocated_storage       = 100
  backup_retention_period = 7
  multi_az                = false
}
"""

MODULE = """\
variable "multi_az" {
  type    = bool
  default = false
}

resource "aws_db_instance" "this" {
  engine                  = "postgres"
  instance_class          = "db.m6g.large"
  allocated_storage       = 100
  backup_retention_period = 7
  multi_az                = var.multi_az
}
"""

UNIT = 'terraform {\n  source = "../../../modules//db"\n}\n\ninputs = {\n  multi_az = %s\n}\n'


def _repository(root: Path) -> None:
    files = {
        "cfn/orders.yaml": CFN,
        "hcl/main.tf": DB,
        "cdktf.out/stacks/app/cdk.tf.json": json.dumps({"resource": {"aws_db_instance": {"reports": {
            "engine": "postgres", "instance_class": "db.m6g.large", "allocated_storage": 100,
            "backup_retention_period": 7, "multi_az": False}}}}, indent=2),
        "modules/db/main.tf": MODULE,
        "live/prod/db/terragrunt.hcl": UNIT % "true",
        "live/dev/db/terragrunt.hcl": UNIT % "false",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    shutil.copytree(FIXTURES / "resolve" / "tf_plan_source", root / "planned")
    (root / "planned" / "case.json").unlink()


def test_each_finding_once_at_a_line_to_click(tmp_path: Path) -> None:
    _repository(tmp_path)
    result = scan(ScanSettings(paths=[str(tmp_path)], jobs=1),
                  [cls() for cls in select(all_rules(), ["HA101", "BK201"], None)])
    assert result.errors == []
    assert not [w for w in result.warnings if getattr(w, "code", "") in ("plan-without-source", "plan-source-mismatch")]
    places = []
    for finding in result.findings:
        path = Path(finding.file)
        assert path.is_file() and path.name != "plan.json", finding.file
        written = path.read_text().splitlines()[finding.line - 1]
        assert any(word in written for word in ("MultiAZ", "multi_az", "backup_retention")), (finding.file, written)
        places.append((path.relative_to(tmp_path).as_posix(), finding.line, finding.rule_id, finding.resource))
    identities = Counter((f.rule_id, f.resource, f.root or f.file) for f in result.findings)
    assert max(identities.values()) == 1, identities
    assert sorted(places) == sorted([
        ("cdktf.out/stacks/app/cdk.tf.json", 9, "HA101", "aws_db_instance.reports"),
        ("cfn/orders.yaml", 10, "HA101", "OrdersDb"),
        ("hcl/main.tf", 6, "HA101", "aws_db_instance.billing"),
        ("live/dev/db/terragrunt.hcl", 6, "HA101", "aws_db_instance.this"),
        ("planned/main.tf", 8, "HA101", "module.orders_db.aws_db_instance.this"),  # plans: at the deciding input too
        ("planned/main.tf", 21, "HA101", "module.reports_db.aws_db_instance.this"),
        ("planned/main.tf", 22, "BK201", "module.reports_db.aws_db_instance.this"),
    ])
