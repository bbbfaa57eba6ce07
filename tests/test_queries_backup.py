"""Backup and DR questions (ha_lint.queries.backup, ha_lint.queries.dr) on real templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from ha_lint.graph import Architecture, Options
from ha_lint.queries import aws, backup, deletion, dr, replication
from ha_lint.scan import ScanSettings, scan
from ha_lint.values import UNKNOWN


def architecture(tmp_path: Path, files: dict[str, str], options: Options | None = None) -> Architecture:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    result = scan(ScanSettings(paths=[str(tmp_path)], options=options or Options(), cache_dir=None, jobs=1), [])
    assert result.errors == []
    assert result.architecture is not None
    return result.architecture


def one(arch: Architecture, address: str):
    found = [r for r in arch.resources if r.address == address]
    assert len(found) == 1, [r.address for r in arch.resources]
    return found[0]


CFN_VOLUMES = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Plan:
    Type: AWS::Backup::BackupPlan
    Properties:
      BackupPlan:
        BackupPlanName: daily
        BackupPlanRule:
          - RuleName: daily
            TargetBackupVault: Default
            ScheduleExpression: cron(0 5 ? * * *)
  Gold:
    Type: AWS::Backup::BackupSelection
    Properties:
      BackupPlanId: !Ref Plan
      BackupSelection:
        SelectionName: gold
        IamRoleArn: arn:aws:iam::111122223333:role/backup
        ListOfTags:
          - {ConditionType: STRINGEQUALS, ConditionKey: tier, ConditionValue: gold}
          - {ConditionType: STRINGEQUALS, ConditionKey: tier, ConditionValue: platinum}
        Conditions:
          StringNotEquals:
            - {ConditionKey: "aws:ResourceTag/env", ConditionValue: dev}
        NotResources:
          - !Sub "arn:aws:ec2:${AWS::Region}:${AWS::AccountId}:volume/${Excluded}"
  GoldProd:
    Type: AWS::EC2::Volume
    Properties: {AvailabilityZone: eu-west-1a, Size: 10, Tags: [{Key: tier, Value: gold}, {Key: env, Value: prod}]}
  GoldDev:
    Type: AWS::EC2::Volume
    Properties: {AvailabilityZone: eu-west-1a, Size: 10, Tags: [{Key: tier, Value: gold}, {Key: env, Value: dev}]}
  Platinum:
    Type: AWS::EC2::Volume
    Properties: {AvailabilityZone: eu-west-1a, Size: 10, Tags: [{Key: tier, Value: platinum}]}
  Excluded:
    Type: AWS::EC2::Volume
    Properties: {AvailabilityZone: eu-west-1a, Size: 10, Tags: [{Key: tier, Value: gold}]}
  Untagged:
    Type: AWS::EC2::Volume
    Properties: {AvailabilityZone: eu-west-1a, Size: 10}
  Server:
    Type: AWS::EC2::Instance
    Properties: {ImageId: ami-12345678, Tags: [{Key: snap, Value: "yes"}]}
  OnServer:
    Type: AWS::EC2::Volume
    Properties: {AvailabilityZone: eu-west-1a, Size: 10}
  Attach:
    Type: AWS::EC2::VolumeAttachment
    Properties: {InstanceId: !Ref Server, VolumeId: !Ref OnServer, Device: /dev/sdf}
  Snapshots:
    Type: AWS::DLM::LifecyclePolicy
    Properties:
      Description: instances
      State: ENABLED
      PolicyDetails:
        ResourceTypes: [INSTANCE]
        TargetTags: [{Key: snap, Value: "yes"}]
"""


def test_selection_by_tags_is_ored_conditions_anded_and_exclusions_win(tmp_path: Path) -> None:
    arch = architecture(tmp_path, {"volumes.yaml": CFN_VOLUMES})
    covered = {r.address: backup.backup_coverage(arch, r).covered for r in arch.of_kind("ebs_volume")}
    assert covered == {"GoldProd": True, "GoldDev": False, "Platinum": True, "Excluded": False,
                       "Untagged": False, "OnServer": True}


def test_dlm_instance_policy_covers_attached_volume_and_says_how(tmp_path: Path) -> None:
    arch = architecture(tmp_path, {"volumes.yaml": CFN_VOLUMES})
    coverage = backup.backup_coverage(arch, one(arch, "OnServer"))
    assert coverage.how == ("DLM lifecycle policy Snapshots through instance Server",)


def test_tags_and_tag_conditions() -> None:
    tags = {"tier": "gold", "n": 3, "x": UNKNOWN}
    assert aws.tag_condition(tags, "STRINGEQUALS", "aws:ResourceTag/tier", "gold") is True
    assert aws.tag_condition(tags, "STRINGLIKE", "tier", "go*") is True
    assert aws.tag_condition(tags, "STRINGNOTEQUALS", "missing", "a") is True
    assert aws.tag_condition(tags, "STRINGEQUALS", "n", 3) is True
    assert aws.tag_condition(tags, "STRINGEQUALS", "x", "a") is UNKNOWN
    assert aws.tag_condition(UNKNOWN, "STRINGEQUALS", "tier", "gold") is UNKNOWN


def test_arn_patterns_name_template_resources_only_by_wildcard(tmp_path: Path) -> None:
    arch = architecture(tmp_path, {"volumes.yaml": CFN_VOLUMES})
    volume = one(arch, "Untagged")
    assert backup.arn_pattern_selects("*", volume) is True
    assert backup.arn_pattern_selects("arn:aws:ec2:*:*:volume/*", volume) is True
    assert backup.arn_pattern_selects("arn:aws:ec2:*:*:volume/vol-0123456789", volume) is False
    assert backup.arn_pattern_selects("arn:aws:elasticfilesystem:*:*:file-system/*", volume) is False


TF_REGIONS = """
provider "aws" {
  region = "eu-west-1"
}
provider "aws" {
  alias  = "dr"
  region = "eu-central-1"
}
resource "aws_ebs_volume" "data" {
  availability_zone = "eu-west-1a"
  size              = 10
  tags              = { backup = "daily" }
}
resource "aws_backup_selection" "elsewhere" {
  provider     = aws.dr
  name         = "tagged"
  plan_id      = "plan"
  iam_role_arn = "arn:aws:iam::111122223333:role/backup"
  selection_tag {
    type  = "STRINGEQUALS"
    key   = "backup"
    value = "daily"
  }
}
resource "aws_backup_vault" "dr" {
  provider = aws.dr
  name     = "dr"
}
resource "aws_backup_vault" "local" {
  name = "local"
}
resource "aws_backup_plan" "daily" {
  name = "daily"
  rule {
    rule_name         = "to-dr"
    target_vault_name = aws_backup_vault.local.name
    schedule          = "cron(0 5 ? * * *)"
    copy_action {
      destination_vault_arn = aws_backup_vault.dr.arn
    }
  }
  rule {
    rule_name         = "same-region-arn"
    target_vault_name = aws_backup_vault.local.name
    schedule          = "rate(12 hours)"
    copy_action {
      destination_vault_arn = "arn:aws:backup:eu-west-1:444455556666:backup-vault:audit"
    }
  }
  rule {
    rule_name         = "none"
    target_vault_name = aws_backup_vault.local.name
    schedule          = "cron(0 5 ? * * *)"
  }
}
"""


def test_a_selection_in_another_region_covers_nothing_here(tmp_path: Path) -> None:
    arch = architecture(tmp_path, {"main.tf": TF_REGIONS})
    assert backup.backup_coverage(arch, one(arch, "aws_ebs_volume.data")).covered is False


def test_plan_rules_know_where_copies_go(tmp_path: Path) -> None:
    arch = architecture(tmp_path, {"main.tf": TF_REGIONS})
    rules = backup.plan_rules(arch, one(arch, "aws_backup_plan.daily"))
    assert [(r.name, r.copied_cross_region) for r in rules] == [
        ("to-dr", True), ("same-region-arn", False), ("none", False)]
    assert rules[0].copies[0].region == "eu-central-1"
    assert dr.schedule_minutes(rules[1].schedule) == 720


def test_schedule_minutes() -> None:
    assert dr.schedule_minutes("cron(0 5 ? * * *)") == 1440
    assert dr.schedule_minutes("cron(0 */4 ? * * *)") == 240
    assert dr.schedule_minutes("cron(0 5 ? * 1 *)") == 10080
    assert dr.schedule_minutes("rate(1 day)") == 1440
    assert dr.schedule_minutes(None) is None


TF_S3 = """
resource "aws_s3_bucket" "a" {
  bucket = "bucket-a"
}
resource "aws_s3_bucket_versioning" "by_name" {
  bucket = "bucket-a"
  versioning_configuration {
    status = "Enabled"
  }
}
resource "aws_s3_bucket" "b" {
  bucket = "bucket-b"
}
resource "aws_s3_bucket_versioning" "suspended" {
  bucket = aws_s3_bucket.b.id
  versioning_configuration {
    status = "Suspended"
  }
}
resource "aws_s3_bucket" "locked" {
  bucket              = "bucket-locked"
  object_lock_enabled = true
}
resource "aws_s3_bucket" "plain" {
  bucket = "bucket-plain"
}
"""


def test_versioning_resolved_across_resources(tmp_path: Path) -> None:
    arch = architecture(tmp_path, {"main.tf": TF_S3})
    states = {b.address: [s.enabled for s in backup.versioning_states(arch, b)] for b in arch.of_kind("s3_bucket")}
    assert states == {"aws_s3_bucket.a": [True], "aws_s3_bucket.b": [False], "aws_s3_bucket.locked": [True],
                      "aws_s3_bucket.plain": [False]}


def test_versioning_unknown_when_a_versioning_resource_names_an_unresolved_bucket(tmp_path: Path) -> None:
    text = TF_S3 + """
variable "name" {
  type = string
}
resource "aws_s3_bucket_versioning" "mystery" {
  bucket = var.name
  versioning_configuration {
    status = "Enabled"
  }
}
"""
    arch = architecture(tmp_path, {"main.tf": text})
    assert [s.enabled for s in backup.versioning_states(arch, one(arch, "aws_s3_bucket.plain"))] == [UNKNOWN]


CFN_GLOBAL = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Single:
    Type: AWS::DynamoDB::GlobalTable
    Properties:
      Replicas:
        - Region: eu-west-1
          PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
  Double:
    Type: AWS::DynamoDB::GlobalTable
    Properties:
      Replicas:
        - Region: eu-west-1
          PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
        - Region: eu-central-1
  Plain:
    Type: AWS::DynamoDB::Table
    Properties:
      PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: false}
"""


def test_global_tables_pitr_per_replica_and_regions(tmp_path: Path) -> None:
    arch = architecture(tmp_path, {"tables.yaml": CFN_GLOBAL})
    assert [(g.replica, g.line) for g in backup.pitr_gaps(one(arch, "Double"))] == [("eu-central-1", 16)]
    assert [(g.replica, g.line) for g in backup.pitr_gaps(one(arch, "Plain"))] == [(None, 20)]
    assert replication.dynamodb_cross_region(arch, one(arch, "Single")) is False
    assert replication.dynamodb_cross_region(arch, one(arch, "Double")) is True
    assert replication.dynamodb_cross_region(arch, one(arch, "Plain")) is False


def test_rds_replica_by_arn_in_another_template_is_unknown_region_unless_stated(tmp_path: Path) -> None:
    primary = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Main:
    Type: AWS::RDS::DBInstance
    Properties: {Engine: postgres, DBInstanceIdentifier: orders, DBInstanceClass: db.m6g.large}
  Lonely:
    Type: AWS::RDS::DBInstance
    Properties: {Engine: postgres, DBInstanceIdentifier: lonely, DBInstanceClass: db.m6g.large}
"""
    replica = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Replica:
    Type: AWS::RDS::DBInstance
    Properties:
      SourceDBInstanceIdentifier: arn:aws:rds:eu-west-1:111122223333:db:orders
      DBInstanceClass: db.m6g.large
"""
    arch = architecture(tmp_path, {"primary.yaml": primary, "replica.yaml": replica})
    assert replication.rds_cross_region(arch, one(arch, "Main")) is UNKNOWN  # the replica's own Region is unknown
    assert replication.rds_cross_region(arch, one(arch, "Lonely")) is False


@pytest.mark.parametrize("policy, update, expected", [
    (None, None, []),  # RDS default is Snapshot
    ("Delete", None, ["deletion_policy"]),
    ("Retain", "Delete", ["update_replace_policy"]),
])
def test_deletion_exposures_follow_cloudformation_defaults(tmp_path: Path, policy, update, expected) -> None:
    attrs = (f"    DeletionPolicy: {policy}\n" if policy else "") + (f"    UpdateReplacePolicy: {update}\n" if update else "")
    text = ("Resources:\n  Db:\n    Type: AWS::RDS::DBInstance\n" + attrs +
            "    Properties: {Engine: mysql, DBInstanceClass: db.m6g.large}\n"
            "  Table:\n    Type: AWS::DynamoDB::Table\n    Properties: {BillingMode: PAY_PER_REQUEST}\n")
    arch = architecture(tmp_path, {"t.yaml": text})
    assert [e.detail for e in deletion.deletion_exposures(one(arch, "Db"))] == expected
    assert [e.detail for e in deletion.deletion_exposures(one(arch, "Table"))] == ["deletion_policy"]


def test_posture_names_the_strategy_with_evidence(tmp_path: Path) -> None:
    arch = architecture(tmp_path, {
        "restore.yaml": "Resources:\n  Db:\n    Type: AWS::RDS::DBInstance\n"
                        "    Properties: {Engine: mysql, BackupRetentionPeriod: 7}\n",
        "none.yaml": "Resources:\n  Db:\n    Type: AWS::RDS::DBInstance\n"
                     "    Properties: {Engine: mysql, BackupRetentionPeriod: 0}\n",
        "pilot.yaml": "Resources:\n  T:\n    Type: AWS::DynamoDB::GlobalTable\n"
                      "    Properties: {Replicas: [{Region: eu-west-1}, {Region: eu-central-1}]}\n",
        "mixed.yaml": CFN_GLOBAL,  # one replicated table, two that are not: the weakest bounds it
        "stateless.yaml": "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties: {Runtime: python3.12}\n",
    })
    ctx = dr.context(arch)
    postures = {Path(w).name: dr.dr_posture(arch, w, ctx) for w in arch.workloads}
    assert {n: (p.strategy, p.failover_path) for n, p in postures.items()} == {
        "restore.yaml": ("backup-restore", False), "none.yaml": ("none", False),
        "pilot.yaml": ("pilot-light", True), "mixed.yaml": ("backup-restore", True),
        "stateless.yaml": ("backup-restore", False)}
    assert postures["restore.yaml"].of_kind("backup")[0].rpo_minutes == 5.0
    assert "global table" in postures["pilot.yaml"].describe()
    assert postures["restore.yaml"].describe().startswith("backup and restore, with backups in this Region only")


def test_declared_strategy_template_then_tags_then_options(tmp_path: Path) -> None:
    arch = architecture(tmp_path, {
        "meta.yaml": "Metadata:\n  ha-lint:\n    targets: {strategy: warm-standby}\n"
                     "Resources:\n  B:\n    Type: AWS::S3::Bucket\n",
        "tagged/main.tf": 'resource "aws_s3_bucket" "b" {\n  tags = { dr-strategy = "pilot-light" }\n}\n',
        "plain.yaml": "Resources:\n  B:\n    Type: AWS::S3::Bucket\n",
    }, Options(dr_strategy="multi-site"))
    declared = {Path(w).name: dr.declared_strategy(arch, w).strategy for w in arch.workloads}
    assert declared == {"meta.yaml": "warm-standby", "tagged": "pilot-light", "plain.yaml": "multi-site"}


def test_significant_workloads_need_an_entry_point_compute_or_data(tmp_path: Path) -> None:
    arch = architecture(tmp_path, {
        "iam.yaml": "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties: {AssumeRolePolicyDocument: {}}\n",
        "app.yaml": "Resources:\n  Q:\n    Type: AWS::ElasticLoadBalancingV2::LoadBalancer\n",
    })
    assert [Path(w.id).name for w in dr.significant_workloads(arch)] == ["app.yaml"]


CFN_POLICIES_YAML = """\
Resources:
  Db:
    Type: AWS::RDS::DBInstance
    Metadata:
      DeletionPolicy: Delete
    Properties:
      Engine: mysql
      DBInstanceClass: db.m6g.large
    UpdateReplacePolicy: Delete
    DeletionPolicy: Delete
  Table:
    Type: AWS::DynamoDB::Table
    Properties: {BillingMode: PAY_PER_REQUEST}
"""

CFN_POLICIES_JSON = """\
{
  "Resources": {
    "Table": {
      "Type": "AWS::DynamoDB::Table",
      "Properties": {"BillingMode": "PAY_PER_REQUEST"},
      "DeletionPolicy": "Delete"
    },
    "Volume": {"Type": "AWS::EC2::Volume", "DeletionPolicy": "Delete", "Properties": {"Size": 10}}
  }
}
"""


def test_deletion_exposures_point_at_the_written_policy(tmp_path: Path) -> None:
    arch = architecture(tmp_path, {"t.yaml": CFN_POLICIES_YAML, "t.json": CFN_POLICIES_JSON})
    db = [r for r in arch.resources if r.address == "Db"][0]
    # The policy attributes of the resource, not the look-alike key inside its Metadata.
    assert [(e.detail, e.line) for e in deletion.deletion_exposures(db)] == [
        ("deletion_policy", 10), ("update_replace_policy", 9)]
    by_file = {(Path(r.file).suffix, r.address): r for r in arch.resources}
    assert [e.line for e in deletion.deletion_exposures(by_file[(".yaml", "Table")])] == [11]  # absent: the resource
    assert [e.line for e in deletion.deletion_exposures(by_file[(".json", "Table")])] == [6]
    # A resource written on one line has no line of its own for the attribute.
    assert [e.line for e in deletion.deletion_exposures(by_file[(".json", "Volume")])] == [8]


TF_PLAN_LINES = """\
provider "aws" {
  region = "eu-west-1"
}

resource "aws_backup_vault" "main" {
  name = "main"
}

resource "aws_backup_plan" "p" {
  name = "p"
  rule {
    rule_name         = "local"
    target_vault_name = aws_backup_vault.main.name
    copy_action {
      destination_vault_arn = aws_backup_vault.main.arn
    }
  }
  dynamic "rule" {
    for_each = ["a", "b"]
    content {
      rule_name         = rule.value
      target_vault_name = aws_backup_vault.main.name
    }
  }
}
"""


def test_plan_rules_lines_for_written_and_generated_rules(tmp_path: Path) -> None:
    arch = architecture(tmp_path, {"main.tf": TF_PLAN_LINES})
    rules = backup.plan_rules(arch, one(arch, "aws_backup_plan.p"))
    assert [(r.name, r.line) for r in rules] == [("local", 12), ("a", 18), ("b", 18)]
    assert [(c.destination, c.cross_region, c.line) for c in rules[0].copies] == [("aws_backup_vault.main", False, 15)]


TF_TABLE_REPLICA = """\
provider "aws" {
  region = "eu-west-1"
}

provider "aws" {
  alias  = "dr"
  region = "eu-central-1"
}

resource "aws_dynamodb_table" "t" {
  name     = "t"
  hash_key = "id"
  point_in_time_recovery {
    enabled = true
  }
}

resource "aws_dynamodb_table_replica" "off" {
  provider         = aws.dr
  global_table_arn = aws_dynamodb_table.t.arn
}

resource "aws_dynamodb_table_replica" "on" {
  provider               = aws.dr
  global_table_arn       = aws_dynamodb_table.t.arn
  point_in_time_recovery = true
}
"""


def test_pitr_gaps_of_a_separate_table_replica(tmp_path: Path) -> None:
    arch = architecture(tmp_path, {"main.tf": TF_TABLE_REPLICA})
    assert backup.pitr_gaps(one(arch, "aws_dynamodb_table.t")) == []
    assert [(g.replica, g.line) for g in backup.pitr_gaps(one(arch, "aws_dynamodb_table_replica.off"))] == [
        ("eu-central-1", 18)]
    assert backup.pitr_gaps(one(arch, "aws_dynamodb_table_replica.on")) == []


def test_posture_counts_opensearch_snapshots_and_ignores_cluster_members(tmp_path: Path) -> None:
    arch = architecture(tmp_path, {
        "search.yaml": "Resources:\n  Search:\n    Type: AWS::OpenSearchService::Domain\n"
                       "    Properties: {EngineVersion: OpenSearch_2.11}\n",
        "docs.yaml": "Resources:\n  Docs:\n    Type: AWS::DocDB::DBCluster\n"
                     "    Properties: {MasterUsername: admin, BackupRetentionPeriod: 7}\n"
                     "  DocsInstance:\n    Type: AWS::DocDB::DBInstance\n"
                     "    Properties: {DBClusterIdentifier: !Ref Docs, DBInstanceClass: db.r6g.large}\n",
    })
    ctx = dr.context(arch)
    postures = {Path(w).name: dr.dr_posture(arch, w, ctx) for w in arch.workloads}
    assert postures["search.yaml"].strategy == "backup-restore"
    assert postures["search.yaml"].of_kind("backup")[0].rpo_minutes == 60.0
    assert postures["docs.yaml"].of_kind("unprotected-data") == []


TF_VERSIONING_BY_VARIABLE = """\
variable "name" {
  type = string
}

resource "aws_s3_bucket" "named_by_variable" {
  bucket = var.name
}

resource "aws_s3_bucket_versioning" "by_variable" {
  bucket = var.name
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket" "literal" {
  bucket = "example-literal"
}

resource "aws_s3_bucket" "own" {
  bucket = "example-own"
}

resource "aws_s3_bucket_versioning" "own" {
  bucket = aws_s3_bucket.own.id
  versioning_configuration {
    status = "Suspended"
  }
}
"""


def test_an_unresolved_versioning_target_is_the_bucket_whose_name_is_unresolved(tmp_path: Path) -> None:
    arch = architecture(tmp_path, {"main.tf": TF_VERSIONING_BY_VARIABLE})
    states = {b.address: [s.enabled for s in backup.versioning_states(arch, b)] for b in arch.of_kind("s3_bucket")}
    # var.name may name the bucket named var.name; the literal-named bucket has no versioning, and
    # the bucket with a versioning resource of its own is decided by it.
    assert states == {"aws_s3_bucket.named_by_variable": [UNKNOWN], "aws_s3_bucket.literal": [False],
                      "aws_s3_bucket.own": [False]}
