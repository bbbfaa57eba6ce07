"""Findings speak the language of the file they are about (issue 21, "Names" and "One voice").

Each rule family has a CloudFormation and a Terraform finding whose whole message is pinned:
every message opens with a friendly noun and the address, counts agree with their noun, an
AZ is named by the expression that picks it in its own language, and the fix advice spells
properties as that language writes them.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from conftest import run_cli
from ha_lint.resilience.model import analyse
from ha_lint.resilience.render import mermaid
from ha_lint.root import shown_path
from ha_lint.scan import ScanSettings, scan
from ha_lint.values import AzToken, ordinal
from ha_lint.wording import plural, region_name

STACK = """\
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Subnet:
        Type: AWS::EC2::Subnet
        Properties:
          VpcId: vpc-0123456789abcdef0
          CidrBlock: 10.0.0.0/24
          AvailabilityZone: !Select [0, !GetAZs '']
      Web:
        Type: AWS::AutoScaling::AutoScalingGroup
        Properties:
          MinSize: "2"
          MaxSize: "4"
          VPCZoneIdentifier: [!Ref Subnet]
          LaunchTemplate: {LaunchTemplateId: lt-0123456789abcdef0, Version: "1"}
      Database: # ha-lint: ignore[NS408]
        Type: AWS::RDS::DBInstance
        DeletionPolicy: Snapshot
        UpdateReplacePolicy: Snapshot
        Properties:
          Engine: postgres
          DBInstanceClass: db.t3.medium
          MultiAZ: true
          DeletionProtection: true
          BackupRetentionPeriod: 1
          MasterUsername: app
          MasterUserPassword: Sup3rSecret!
      Sessions:
        Type: AWS::Serverless::SimpleTable
      AdminSg:
        Type: AWS::EC2::SecurityGroup
        Properties:
          GroupDescription: admin
          VpcId: vpc-0123456789abcdef0
          SecurityGroupIngress:
            - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
      ApiWeighted:
        Type: AWS::Route53::RecordSet
        Properties:
          HostedZoneName: example.com.
          Name: api.example.com.
          Type: CNAME
          TTL: "60"
          SetIdentifier: blue
          Weight: 50
          ResourceRecords: [blue.example.com]
      Orders:
        Type: AWS::Kinesis::Stream
        Properties: {ShardCount: 1}
      Worker:
        Type: AWS::Lambda::Function
        Properties:
          Runtime: python3.12
          Handler: index.handler
          Role: arn:aws:iam::111122223333:role/worker
          Code: {ZipFile: "def handler(e, c): pass"}
      OrdersMapping:
        Type: AWS::Lambda::EventSourceMapping
        Properties:
          FunctionName: !Ref Worker
          EventSourceArn: !GetAtt Orders.Arn
          StartingPosition: LATEST
"""

MAIN_TF = """\
    provider "aws" {
      region = "eu-west-1"
    }

    data "aws_availability_zones" "available" {}

    resource "aws_subnet" "a" {
      vpc_id            = "vpc-0123456789abcdef0"
      cidr_block        = "10.0.0.0/24"
      availability_zone = data.aws_availability_zones.available.names[0]
    }

    resource "aws_autoscaling_group" "web" {
      min_size            = 2
      max_size            = 4
      vpc_zone_identifier = [aws_subnet.a.id]
    }

    resource "aws_db_instance" "main" { # ha-lint: ignore[HA101]
      engine                  = "postgres"
      instance_class          = "db.t3.medium"
      multi_az                = false
      deletion_protection     = true
      skip_final_snapshot     = false
      backup_retention_period = 3
      username                = "app"
      password                = "Sup3rSecret!"
    }

    resource "aws_dynamodb_table" "sessions" {
      name     = "sessions"
      hash_key = "id"
      attribute {
        name = "id"
        type = "S"
      }
    }

    resource "aws_security_group" "admin" {
      vpc_id = "vpc-0123456789abcdef0"
      ingress {
        protocol    = "tcp"
        from_port   = 22
        to_port     = 22
        cidr_blocks = ["0.0.0.0/0"]
      }
    }

    resource "aws_route53_record" "api_blue" {
      zone_id        = "Z0123456789ABCDEFGHIJ"
      name           = "api.example.com"
      type           = "CNAME"
      ttl            = 60
      records        = ["blue.example.com"]
      set_identifier = "blue"
      weighted_routing_policy {
        weight = 50
      }
    }

    resource "aws_kinesis_stream" "orders" {
      name        = "orders"
      shard_count = 1
    }

    resource "aws_lambda_function" "worker" {
      function_name = "worker"
      role          = "arn:aws:iam::111122223333:role/worker"
      runtime       = "python3.12"
      handler       = "index.handler"
      filename      = "worker.zip"
    }

    resource "aws_lambda_event_source_mapping" "orders" {
      function_name     = aws_lambda_function.worker.arn
      event_source_arn  = aws_kinesis_stream.orders.arn
      starting_position = "LATEST"
    }

    resource "aws_sns_topic" "alerts" {}

    resource "aws_sns_topic_subscription" "notify" {
      topic_arn = aws_sns_topic.alerts.arn
      protocol  = "lambda"
      endpoint  = aws_lambda_function.worker.arn
    }
"""

ADVICE = "If the business needs a lower RTO/RPO, add a pilot light or warm standby in a second Region."

# (rule, file, resource) -> the whole message
EXPECTED = {
    ("HA104", "cfn/stack.yaml", "Web"):
        "Auto Scaling group `Web` can launch instances in only one Availability Zone: it has one subnet (Subnet) "
        "in the Region's first AZ (`!Select [0, !GetAZs '']`). An AZ outage takes every instance down and the group "
        "cannot replace them elsewhere; give it subnets in at least two AZs.",
    ("HA104", "tf/main.tf", "aws_autoscaling_group.web"):
        "Auto Scaling group `aws_autoscaling_group.web` can launch instances in only one Availability Zone: it has "
        "one subnet (aws_subnet.a) in eu-west-1's first AZ (`data.aws_availability_zones.available.names[0]`). An AZ "
        "outage takes every instance down and the group cannot replace them elsewhere; give it subnets in at least "
        "two AZs.",
    ("BK202", "cfn/stack.yaml", "Database"):
        "RDS instance `Database` keeps automated backups for 1 day, less than the minimum of 7 days: problems "
        "noticed later than that cannot be restored. Set BackupRetentionPeriod to at least 7.",
    ("BK202", "tf/main.tf", "aws_db_instance.main"):
        "RDS instance `aws_db_instance.main` keeps automated backups for 3 days, less than the minimum of 7 days: "
        "problems noticed later than that cannot be restored. Set backup_retention_period to at least 7.",
    ("BK205", "cfn/stack.yaml", "Sessions"):
        "SAM simple table `Sessions`: point-in-time recovery is off for it (not set; this is the default). A bad "
        "write or delete can only be undone from an older backup, if any; a SAM simple table cannot enable it: "
        "declare the table as AWS::DynamoDB::Table with PointInTimeRecoverySpecification: "
        "{PointInTimeRecoveryEnabled: true}.",
    ("BK205", "tf/main.tf", "aws_dynamodb_table.sessions"):
        "DynamoDB table `aws_dynamodb_table.sessions`: point-in-time recovery is off for it (not set; this is the "
        "default). A bad write or delete can only be undone from an older backup, if any; enable point-in-time "
        "recovery (point_in_time_recovery { enabled = true }).",
    ("NS401", "cfn/stack.yaml", "AdminSg"):
        "Security group `AdminSg` admits SSH (22) from 0.0.0.0/0 (tcp port 22). Restrict the source to a known "
        "range, or use SSM Session Manager instead of open admin ports.",
    ("NS401", "tf/main.tf", "aws_security_group.admin"):
        "Security group `aws_security_group.admin` admits SSH (22) from 0.0.0.0/0 (tcp port 22). Restrict the "
        "source to a known range, or use SSM Session Manager instead of open admin ports.",
    ("DR303", "cfn/stack.yaml", "ApiWeighted"):
        "Route 53 record `ApiWeighted` (api.example.com. CNAME, weighted routing) has no health check and does not "
        "evaluate an alias target's health: Route 53 keeps sending its share of traffic to it when it is down. Add "
        "a HealthCheckId, or an alias with EvaluateTargetHealth: true.",
    ("DR303", "tf/main.tf", "aws_route53_record.api_blue"):
        "Route 53 record `aws_route53_record.api_blue` (api.example.com CNAME, weighted routing) has no health check "
        "and does not evaluate an alias target's health: Route 53 keeps sending its share of traffic to it when it "
        "is down. Add a health_check_id, or an alias block with evaluate_target_health = true.",
    ("DR306", "cfn/stack.yaml", ""):
        "Workload `cfn/stack.yaml` has no multi-Region failover path: a Regional outage takes it down until it is "
        "rebuilt elsewhere. Detected DR strategy: backup and restore, with backups in this Region only, and none for "
        f"part of its data (Sessions: no backup found; Database: automated backups, 1 day, point-in-time restore). {ADVICE}",
    ("DR306", "tf/main.tf", ""):
        "Workload `tf` has no multi-Region failover path: a Regional outage takes it down until it is rebuilt "
        "elsewhere. Detected DR strategy: backup and restore, with backups in this Region only, and none for part of "
        "its data (aws_dynamodb_table.sessions: no backup found; aws_db_instance.main: automated backups, 3 days, "
        f"point-in-time restore). {ADVICE}",
    ("OP603", "cfn/stack.yaml", "OrdersMapping"):
        "Lambda event source mapping `OrdersMapping` feeds a Kinesis stream to Lambda with no on-failure "
        "destination: a batch that keeps failing blocks its shard until the records expire, or is skipped with no "
        "record kept. Add DestinationConfig.OnFailure (an SQS queue or SNS topic) and a retry limit "
        "(MaximumRetryAttempts).",
    ("OP603", "tf/main.tf", "aws_lambda_event_source_mapping.orders"):
        "Lambda event source mapping `aws_lambda_event_source_mapping.orders` feeds a Kinesis stream to Lambda with "
        "no on-failure destination: a batch that keeps failing blocks its shard until the records expire, or is "
        "skipped with no record kept. Add destination_config { on_failure { destination_arn } } (an SQS queue or "
        "SNS topic) and a retry limit (maximum_retry_attempts).",
    ("OP602", "tf/main.tf", "aws_lambda_function.worker"):
        "Lambda function `aws_lambda_function.worker` is invoked asynchronously (SNS subscription "
        "aws_sns_topic_subscription.notify, tf/main.tf:85) but has no dead-letter queue and no on-failure "
        "destination: events that still fail after Lambda's two retries are discarded. Add a dead_letter_config "
        "block, or an aws_lambda_function_event_invoke_config with destination_config { on_failure { destination } }.",
    ("SC501", "cfn/stack.yaml", "Database"):
        "RDS instance `Database` sets MasterUserPassword to a literal value: the secret is stored in the template. "
        "Reference Secrets Manager or SSM Parameter Store (a dynamic reference, or a managed master password) "
        "instead.",
    ("SC501", "tf/main.tf", "aws_db_instance.main"):
        "RDS instance `aws_db_instance.main` sets password to a literal value: the secret is stored in the "
        "configuration. Reference Secrets Manager or SSM Parameter Store (a data source, or a managed master "
        "password) instead.",
    ("HL001", "cfn/stack.yaml", "Database"):
        "Suppression of NS408 gives no reason: say why the finding is accepted, e.g. "
        "`# ha-lint: ignore[NS408] dev stack, re-created nightly`.",
    ("HL001", "tf/main.tf", "aws_db_instance.main"):
        "Suppression of HA101 gives no reason: say why the finding is accepted, e.g. "
        "`# ha-lint: ignore[HA101] dev stack, re-created nightly`.",
}


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One scan of a CloudFormation stack and a Terraform module, named relatively."""
    project = tmp_path_factory.mktemp("project")
    write(project, "cfn/stack.yaml", STACK)
    write(project, "tf/main.tf", MAIN_TF)
    run = run_cli("--no-cache", "--no-config", "--format", "json", "cfn", "tf", cwd=project)
    assert "Traceback" not in run.stderr
    data = json.loads(run.stdout)
    assert data["errors"] == []
    return data


def messages(report: dict) -> dict[tuple[str, str, str], str]:
    return {(f["rule_id"], f["file"], f["resource"]): f["message"] for f in report["findings"]}


@pytest.mark.parametrize("key", sorted(EXPECTED), ids=lambda key: f"{key[0]}-{key[1].split('/')[0]}")
def test_the_whole_message_of_a_cfn_and_a_tf_finding_of_each_rule_family(report: dict, key: tuple) -> None:
    assert messages(report)[key] == EXPECTED[key]


def test_every_family_is_pinned_in_both_languages() -> None:
    families = {(rule[:2], file.split("/")[0]) for rule, file, _ in EXPECTED}
    assert families == {(family, lang) for family in ("HA", "BK", "NS", "DR", "OP", "SC", "HL") for lang in ("cfn", "tf")}


def test_every_resource_finding_opens_with_a_noun_and_the_address_in_backticks(report: dict) -> None:
    for finding in report["findings"]:
        if finding["resource"] and not finding["rule_id"].startswith("HL"):
            head = finding["message"].split("`")
            assert len(head) > 2 and head[1] == finding["resource"] and head[0][:1].isupper(), finding["message"]


def test_advice_for_terraform_names_no_cloudformation_property(report: dict) -> None:
    cfn_words = ("HealthCheckId", "DestinationConfig", "DeadLetterConfig", "BackupRetentionPeriod",
                 "PointInTimeRecoverySpecification", "EvaluateTargetHealth", "!GetAZs", "GetAZs(")
    for finding in report["findings"]:
        if finding["file"].startswith("tf/"):
            assert not any(word in finding["message"] for word in cfn_words), finding["message"]
        assert "(s)" not in finding["message"]


# -- the pieces -------------------------------------------------------------------------------


def test_plural() -> None:
    assert [plural(n, "day") for n in (0, 1, 2)] == ["0 days", "1 day", "2 days"]
    assert plural(1, "entry", "entries") == "1 entry" and plural(3, "entry", "entries") == "3 entries"


def test_an_az_chosen_by_position_is_named_in_the_language_it_was_written_in() -> None:
    cfn = AzToken("", 1, source="!GetAZs ''")
    tf = AzToken("eu-west-1", 0, source="data.aws_availability_zones.available.names")
    ids = AzToken("", 2, "id", "data.aws_availability_zones.azs.zone_ids")
    assert str(cfn) == "!Select [1, !GetAZs '']"
    assert cfn.describe() == "the Region's second AZ (`!Select [1, !GetAZs '']`)"
    assert tf.describe() == "eu-west-1's first AZ (`data.aws_availability_zones.available.names[0]`)"
    assert str(ids) == "data.aws_availability_zones.azs.zone_ids[2]"
    assert cfn == AzToken("", 1)  # the expression is how it is shown, not what it is
    assert cfn.position() == "the Region's second AZ"
    assert [ordinal(n) for n in (1, 3, 11, 12, 13, 21, 22, 102)] == \
        ["first", "third", "11th", "12th", "13th", "21st", "22nd", "102nd"]


def test_a_region_it_does_not_know_is_named_by_its_source(tmp_path: Path) -> None:
    write(tmp_path, "var_region/main.tf", """\
        variable "region" {}
        provider "aws" {
          region = var.region
        }
        resource "aws_sqs_queue" "jobs" {}
    """)
    write(tmp_path, "no_region/main.tf", 'resource "aws_sqs_queue" "jobs" {}\n')
    write(tmp_path, "module_call/main.tf", """\
        variable "region" {}
        provider "aws" {
          region = var.region
        }
        module "queue" {
          source = "./queue"
        }
    """)
    write(tmp_path, "module_call/queue/main.tf", 'resource "aws_sqs_queue" "jobs" {}\n')
    write(tmp_path, "stack.yaml", "Resources:\n  Jobs:\n    Type: AWS::SQS::Queue\n")
    write(tmp_path, "known/main.tf", 'provider "aws" {\n  region = "eu-west-1"\n}\nresource "aws_sqs_queue" "jobs" {}\n')
    result = scan(ScanSettings(paths=[str(tmp_path)], jobs=1), [])
    names = {(Path(r.file).parent.name, r.address): region_name(r) for r in result.architecture.resources}
    assert names == {
        ("var_region", "aws_sqs_queue.jobs"): "the Region of provider aws (region = var.region)",
        ("no_region", "aws_sqs_queue.jobs"): "the Region of provider aws (AWS_REGION or the AWS profile)",
        ("queue", "module.queue.aws_sqs_queue.jobs"): "the Region of provider aws (region = var.region)",
        (tmp_path.name, "Jobs"): "the deployment Region",
        ("known", "aws_sqs_queue.jobs"): "eu-west-1",
    }


def test_the_resilience_picture_titles_an_unknown_region_by_its_source(tmp_path: Path) -> None:
    write(tmp_path, "main.tf", """\
        variable "region" {}
        provider "aws" {
          region = var.region
        }
        resource "aws_db_instance" "main" {
          engine = "postgres"
        }
    """)
    models = analyse(scan(ScanSettings(paths=[str(tmp_path)], jobs=1), []).architecture)
    picture = mermaid(models)
    assert '["the Region of provider aws (region = var.region)"]' in picture
    assert "unresolved" not in picture


def test_a_warning_shows_paths_as_the_scan_was_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "live/main.tf", 'module "empty" {\n  source = "./modules/empty"\n}\n')
    (tmp_path / "live" / "modules" / "empty").mkdir(parents=True)
    (tmp_path / "live" / "modules" / "empty" / "README.md").write_text("nothing here\n")
    monkeypatch.chdir(tmp_path)
    result = scan(ScanSettings(paths=["live"], jobs=1), [])
    (warning,) = [w for w in result.warnings if w.code == "module-not-found"]
    assert warning.file == os.path.join("live", "main.tf")
    assert warning.message == ("module.empty: source './modules/empty': the directory "
                               f"{os.path.join('live', 'modules', 'empty')} holds no .tf files; no resources to check")
    assert str(tmp_path) not in warning.message


def test_shown_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert shown_path(tmp_path / "a" / "b") == os.path.join("a", "b")
    assert shown_path(tmp_path) == "."
    monkeypatch.setenv("HOME", str(tmp_path / "a"))
    monkeypatch.chdir(tmp_path / "a" / "b")
    assert shown_path(tmp_path / "a") == "~"
    assert shown_path("/") == "/"


def test_a_baseline_written_with_the_old_wording_still_accepts_its_findings(tmp_path: Path) -> None:
    """A finding's identity is (rule, file, resource, detail): rewording a message keeps a
    user's baseline valid. The baseline below holds the wording before issue 21."""
    write(tmp_path, "stacks/db.yaml", """\
        Resources:
          OrdersDb:
            Type: AWS::RDS::DBInstance
            Properties: {Engine: postgres, MultiAZ: false, DeletionProtection: true, BackupRetentionPeriod: 7,
                         DBSubnetGroupName: private}
    """)
    baseline = tmp_path / "baseline.json"
    args = ("--no-cache", "--no-config", "--select", "HA101,BK202", "stacks")
    assert run_cli(*args, "--write-baseline", str(baseline), cwd=tmp_path).returncode == 0
    document = json.loads(baseline.read_text())
    (entry,) = document["findings"]
    assert entry["message"].startswith("RDS instance `OrdersDb` runs in a single Availability Zone")
    entry["message"] = ("RDS instance OrdersDb runs in a single Availability Zone: Multi-AZ is off. An AZ or host "
                        "failure takes the database down until it is replaced or restored; set Multi-AZ to true "
                        "for a standby in another AZ.")
    baseline.write_text(json.dumps(document))
    run = run_cli(*args, "--baseline", str(baseline), "--format", "json", cwd=tmp_path)
    result = json.loads(run.stdout)
    assert run.returncode == 0 and result["findings"] == [] and result["summary"]["baselined"] == 1


def test_an_az_listed_among_places_is_named_with_its_expression(tmp_path: Path) -> None:
    write(tmp_path, "asg.yaml", """\
        Resources:
          Asg:
            Type: AWS::AutoScaling::AutoScalingGroup
            Properties:
              MinSize: "2"
              MaxSize: "4"
              AvailabilityZones: [!Select [0, !GetAZs '']]
              LaunchTemplate: {LaunchTemplateId: lt-0123456789abcdef0, Version: "1"}
    """)
    run = run_cli("--no-cache", "--no-config", "--select", "HA104", "--format", "json", "asg.yaml", cwd=tmp_path)
    (finding,) = json.loads(run.stdout)["findings"]
    assert finding["message"] == (
        "Auto Scaling group `Asg` can launch instances in only one Availability Zone: it has one Availability Zone "
        "(the Region's first AZ, `!Select [0, !GetAZs '']`). An AZ outage takes every instance down and the group "
        "cannot replace them elsewhere; give it subnets in at least two AZs.")


def test_a_workload_scanned_as_dot_is_named_after_its_directory(tmp_path: Path) -> None:
    """`ha-lint .` names the workload after the directory, in the message and the report."""
    project = tmp_path / "billing-api"
    project.mkdir()
    (project / "main.tf").write_text(textwrap.dedent("""\
        resource "aws_dynamodb_table" "invoices" {
          name         = "invoices"
          billing_mode = "PAY_PER_REQUEST"
          hash_key     = "id"
          attribute {
            name = "id"
            type = "S"
          }
        }
    """))
    run = run_cli("--no-cache", "--format", "json", ".", cwd=project)
    [dr306] = [f for f in json.loads(run.stdout)["findings"] if f["rule_id"] == "DR306"]
    assert dr306["message"].startswith("Workload `billing-api` has no multi-Region failover path")
    report = run_cli("resilience", "--no-cache", ".", cwd=project)
    assert "billing-api" in report.stdout and "Workload `.`" not in report.stdout
