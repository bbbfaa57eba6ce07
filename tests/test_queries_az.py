"""Which AZs a resource spans: AZ identity, subnets, branches, mount targets, cluster members,
read from real CloudFormation and Terraform templates."""

from __future__ import annotations

from conftest import architecture_of as _arch, resource_at as _res
from ha_lint.graph import Architecture
from ha_lint.queries.az import (AzSpan, Place, Zone, azs_spanned, cluster_members, count_unknown,
                                resource_zone, subnet_zone, variants, zone_of)
from ha_lint.values import UNKNOWN, AzToken, Choice, Ref


def _only_span(arch: Architecture, address: str) -> AzSpan:
    (span,) = azs_spanned(arch, _res(arch, address))
    return span


# -- AZ identity -------------------------------------------------------------------------------


def test_zone_of_tells_names_ids_and_positions_apart():
    assert zone_of("us-east-1a") == Zone("name", "us-east-1a")
    assert zone_of("US-EAST-1A") == zone_of("us-east-1a")
    assert zone_of("use1-az1") == Zone("id", "use1-az1")
    assert zone_of(AzToken("", 1)) == Zone("position", ("", 1))
    assert zone_of("") is UNKNOWN
    assert zone_of(UNKNOWN) is UNKNOWN
    assert zone_of(Ref("Subnet", "AvailabilityZone")) is UNKNOWN


def test_single_az_needs_one_place_or_one_known_zone():
    a, b = Zone("name", "us-east-1a"), Zone("name", "us-east-1b")
    assert AzSpan((Place("x", UNKNOWN),), "subnet").single_az  # one subnet: one AZ, whichever
    assert AzSpan((Place("x", a), Place("y", a)), "subnet").single_az
    assert not AzSpan((Place("x", a), Place("y", UNKNOWN)), "subnet").single_az
    assert not AzSpan((), "subnet").single_az
    assert AzSpan((Place("x", a), Place("y", b)), "subnet").multi_az
    # A name and an AZ ID may or may not be the same AZ: neither single nor multi.
    mixed = AzSpan((Place("x", a), Place("y", Zone("id", "use1-az2"))), "subnet")
    assert not mixed.single_az and not mixed.multi_az


def test_variants_distribute_nested_choices_and_drop_novalue():
    removed = object()  # what AWS::NoValue leaves inside a Choice
    value = [Ref("A"), Choice((("condition Ha true", Ref("B")), ("condition Ha false", removed)))]
    got = dict(variants(value))
    assert got == {"condition Ha true": [Ref("A"), Ref("B")], "condition Ha false": [Ref("A")]}
    assert variants([Ref("A")]) == [(None, [Ref("A")])]


# -- CloudFormation ----------------------------------------------------------------------------

CFN = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  OneSubnet:
    Type: AWS::EC2::Subnet::Id
  Subnets:
    Type: List<AWS::EC2::Subnet::Id>
  Ha:
    Type: String
Conditions:
  IsHa: !Equals [!Ref Ha, "true"]
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  A:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.0.0/24, AvailabilityZone: !Select [0, !GetAZs ""]}
  A2:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.1.0/24, AvailabilityZone: !GetAtt A.AvailabilityZone}
  B:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.2.0/24, AvailabilityZone: !Select [1, !GetAZs {Ref: "AWS::Region"}]}
  Unplaced:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.3.0/24}
  TwoAzs:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties: {MinSize: "2", MaxSize: "4", VPCZoneIdentifier: [!Ref A, !Ref B]}
  SameAzTwice:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties: {MinSize: "2", MaxSize: "4", VPCZoneIdentifier: [!Ref A, !Ref A2, !Ref A]}
  FromParameter:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties: {MinSize: "2", MaxSize: "4", VPCZoneIdentifier: [!Ref OneSubnet]}
  FromList:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties: {MinSize: "2", MaxSize: "4", VPCZoneIdentifier: !Ref Subnets, AvailabilityZones: [us-east-1a]}
  Finder:
    Type: Custom::SubnetFinder
    Properties: {ServiceToken: arn:aws:lambda:us-east-1:123456789012:function:find}
  FromCustomResource:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties: {MinSize: "2", MaxSize: "4", VPCZoneIdentifier: !GetAtt Finder.SubnetIds}
  KnownAndUnplaced:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties: {MinSize: "2", MaxSize: "4", VPCZoneIdentifier: [!Ref A, !Ref Unplaced]}
  Conditional:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Subnets: [!Ref A, !If [IsHa, !Ref B, !Ref "AWS::NoValue"]]
  Mapped:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Type: network
      SubnetMappings: [{SubnetId: !Ref A}, {SubnetId: !Ref B}]
  Zones:
    Type: AWS::ElasticLoadBalancing::LoadBalancer
    Properties:
      AvailabilityZones: [!Select [0, !GetAZs ""], !Select [0, !GetAZs ""]]
      Listeners: [{LoadBalancerPort: "80", InstancePort: "80", Protocol: HTTP}]
"""


def test_cloudformation_subnets_resolve_to_zones(tmp_path):
    arch = _arch(tmp_path, CFN)
    assert subnet_zone(arch, _res(arch, "A")) == Zone("position", ("", 0))
    assert subnet_zone(arch, _res(arch, "A2")) == Zone("position", ("", 0))  # !GetAtt A.AvailabilityZone
    assert subnet_zone(arch, _res(arch, "B")) == Zone("position", ("", 1))  # GetAZs of AWS::Region is ''
    assert subnet_zone(arch, _res(arch, "Unplaced")) is UNKNOWN
    two = _only_span(arch, "TwoAzs")
    assert two.multi_az and not two.single_az and two.prop == "subnets"
    same = _only_span(arch, "SameAzTwice")
    assert same.single_az and [p.label for p in same.places] == ["A", "A2"]  # duplicates merged
    assert _only_span(arch, "FromParameter").single_az  # exactly one subnet
    assert not _only_span(arch, "KnownAndUnplaced").single_az
    assert not _only_span(arch, "KnownAndUnplaced").multi_az
    assert azs_spanned(arch, _res(arch, "FromList")) == []  # unknown subnets decide: no fallback to AZs
    assert azs_spanned(arch, _res(arch, "FromCustomResource")) == []  # a list-valued attribute: unknown length
    assert _only_span(arch, "Mapped").multi_az
    zones = _only_span(arch, "Zones")
    assert zones.single_az and zones.via == "Availability Zone"


def test_cloudformation_condition_gives_one_span_per_branch(tmp_path):
    arch = _arch(tmp_path, CFN)
    spans = {s.branch: s for s in azs_spanned(arch, _res(arch, "Conditional"))}
    assert set(spans) == {"condition IsHa true", "condition IsHa false"}
    assert spans["condition IsHa true"].multi_az
    assert spans["condition IsHa false"].single_az
    assert spans["condition IsHa false"].detail == "subnets:condition IsHa false"


def test_property_line_points_at_the_placement(tmp_path):
    arch = _arch(tmp_path, CFN)
    text = (tmp_path / "template.yaml").read_text().splitlines()
    line = _res(arch, "FromParameter").line_of("subnets")
    assert "VPCZoneIdentifier" in text[line - 1]


# -- Terraform ---------------------------------------------------------------------------------

TF = """\
variable "azs" {
  type    = list(string)
  default = ["eu-west-1a", "eu-west-1b", "eu-west-1a"]
}

variable "subnet_id" {
  type = string
}

variable "count_from_outside" {
  type = number
}

data "aws_availability_zones" "available" {}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "private" {
  count             = 3
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet("10.0.0.0/16", 8, count.index)
  availability_zone = element(var.azs, count.index)
}

resource "aws_subnet" "vpc_module_style" {
  count                = 2
  vpc_id               = aws_vpc.main.id
  cidr_block           = cidrsubnet("10.0.0.0/16", 8, count.index + 10)
  availability_zone    = length(regexall("^[a-z]{2}-", element(data.aws_availability_zones.available.names, count.index))) > 0 ? element(data.aws_availability_zones.available.names, count.index) : null
  availability_zone_id = length(regexall("^[a-z]{2}-", element(data.aws_availability_zones.available.names, count.index))) == 0 ? element(data.aws_availability_zones.available.names, count.index) : null
}

resource "aws_lambda_function" "in_vpc" {
  function_name = "f"
  role          = "arn:aws:iam::123456789012:role/f"

  vpc_config {
    security_group_ids = []
    subnet_ids         = [var.subnet_id]
  }
}

resource "aws_autoscaling_group" "first_and_third" {
  min_size            = 2
  max_size            = 4
  vpc_zone_identifier = [aws_subnet.private[0].id, aws_subnet.private[2].id]
}

resource "aws_autoscaling_group" "all" {
  min_size            = 2
  max_size            = 4
  vpc_zone_identifier = aws_subnet.private[*].id
}

resource "aws_autoscaling_group" "module_output" {
  min_size            = 2
  max_size            = 4
  vpc_zone_identifier = module.vpc.private_subnets
}

resource "aws_efs_file_system" "one_target" {}

resource "aws_efs_mount_target" "one_target" {
  file_system_id = aws_efs_file_system.one_target.id
  subnet_id      = aws_subnet.private[1].id
}

resource "aws_efs_file_system" "unknown_targets" {}

resource "aws_efs_mount_target" "unknown_targets" {
  count          = var.count_from_outside
  file_system_id = aws_efs_file_system.unknown_targets.id
  subnet_id      = aws_subnet.private[0].id
}

resource "aws_efs_file_system" "one_zone" {
  availability_zone_name = "eu-west-1c"
}
"""


def test_terraform_counted_subnets_and_splats(tmp_path):
    arch = _arch(tmp_path, TF, "main.tf")
    assert subnet_zone(arch, _res(arch, "aws_subnet.private[1]")) == Zone("name", "eu-west-1b")
    first_third = _only_span(arch, "aws_autoscaling_group.first_and_third")
    assert first_third.single_az  # element(var.azs, 0) and element(var.azs, 2) are both eu-west-1a
    assert _only_span(arch, "aws_autoscaling_group.all").multi_az
    assert azs_spanned(arch, _res(arch, "aws_autoscaling_group.module_output")) == []  # unknown is not bad
    vpc_fn = _only_span(arch, "aws_lambda_function.in_vpc")
    assert vpc_fn.single_az and vpc_fn.places[0].zone is UNKNOWN


def test_terraform_az_name_or_id_chosen_by_a_test(tmp_path):
    arch = _arch(tmp_path, TF, "main.tf")
    zones = [subnet_zone(arch, _res(arch, f"aws_subnet.vpc_module_style[{i}]")) for i in (0, 1)]
    assert all(isinstance(z, Zone) and z.namespace == "position" for z in zones)
    assert zones[0] != zones[1]


def test_nested_block_line(tmp_path):
    arch = _arch(tmp_path, TF, "main.tf")
    fn = _res(arch, "aws_lambda_function.in_vpc")
    text = (tmp_path / "main.tf").read_text().splitlines()
    assert "subnet_ids" in text[fn.line_of("subnets") - 1]


def test_efs_spans_its_mount_targets(tmp_path):
    arch = _arch(tmp_path, TF, "main.tf")
    one = _only_span(arch, "aws_efs_file_system.one_target")
    assert one.single_az and one.via == "mount target"
    assert resource_zone(arch, _res(arch, "aws_efs_mount_target.one_target")) == Zone("name", "eu-west-1b")
    assert count_unknown(_res(arch, "aws_efs_mount_target.unknown_targets"))
    assert azs_spanned(arch, _res(arch, "aws_efs_file_system.unknown_targets")) == []
    one_zone = _only_span(arch, "aws_efs_file_system.one_zone")
    assert one_zone.prop == "availability_zone_name" and one_zone.places[0].zone == Zone("name", "eu-west-1c")


def test_count_unknown_is_an_unresolved_count_or_for_each(tmp_path):
    """The resolver records how a resource makes its instances (meta.instances_by); an
    unresolved count or for_each leaves one representative instance with an unknown number."""
    arch = _arch(tmp_path, """\
        variable "n" { type = number }
        variable "names" { type = set(string) }
        resource "aws_sqs_queue" "by_count" { count = var.n }
        resource "aws_sqs_queue" "by_keys" { for_each = var.names }
        resource "aws_sqs_queue" "two" { count = 2 }
        resource "aws_sqs_queue" "keyed" { for_each = toset(["a"]) }
        resource "aws_sqs_queue" "one" {}
        """, "main.tf")
    by = {r.address: r.meta.instances_by for r in arch.resources}
    assert by == {"aws_sqs_queue.by_count": "count", "aws_sqs_queue.by_keys": "for_each",
                  "aws_sqs_queue.two[0]": "count", "aws_sqs_queue.two[1]": "count",
                  'aws_sqs_queue.keyed["a"]': "for_each", "aws_sqs_queue.one": None}
    assert {a for a in by if count_unknown(_res(arch, a))} == {"aws_sqs_queue.by_count", "aws_sqs_queue.by_keys"}


# -- cluster members ---------------------------------------------------------------------------

AURORA_TF = """\
variable "readers" {
  type = number
}

resource "aws_rds_cluster" "counted" {
  engine = "aurora-postgresql"
}

resource "aws_rds_cluster_instance" "counted" {
  count              = 2
  cluster_identifier = aws_rds_cluster.counted.id
  instance_class     = "db.r6g.large"
  availability_zone  = "eu-west-1a"
}

resource "aws_rds_cluster" "keyed" {
  engine = "aurora-mysql"
}

resource "aws_rds_cluster_instance" "keyed" {
  for_each           = { writer = "db.r6g.large" }
  cluster_identifier = aws_rds_cluster.keyed.id
  instance_class     = each.value
}

resource "aws_rds_cluster" "unknown" {
  engine = "aurora-mysql"
}

resource "aws_rds_cluster_instance" "unknown" {
  count              = var.readers
  cluster_identifier = aws_rds_cluster.unknown.id
  instance_class     = "db.r6g.large"
}

resource "aws_rds_cluster" "autoscaled" {
  cluster_identifier = "autoscaled"
  engine             = "aurora-postgresql"
}

resource "aws_rds_cluster_instance" "autoscaled" {
  cluster_identifier = aws_rds_cluster.autoscaled.id
  instance_class     = "db.r6g.large"
}

resource "aws_appautoscaling_target" "replicas" {
  service_namespace  = "rds"
  scalable_dimension = "rds:cluster:ReadReplicaCount"
  resource_id        = "cluster:${aws_rds_cluster.autoscaled.cluster_identifier}"
  min_capacity       = 1
  max_capacity       = 4
}
"""


def test_cluster_members_expand_count_and_for_each(tmp_path):
    arch = _arch(tmp_path, AURORA_TF, "main.tf")
    counted = cluster_members(arch, _res(arch, "aws_rds_cluster.counted"))
    assert [m.address for m in counted.certain] == ["aws_rds_cluster_instance.counted[0]",
                                                    "aws_rds_cluster_instance.counted[1]"]
    assert counted.count_range == (2, 2)
    pinned = _only_span(arch, "aws_rds_cluster.counted")
    assert pinned.single_az and pinned.via == "member instance"
    assert cluster_members(arch, _res(arch, "aws_rds_cluster.keyed")).count_range == (1, 1)
    assert cluster_members(arch, _res(arch, "aws_rds_cluster.unknown")).count_range == (0, None)
    assert cluster_members(arch, _res(arch, "aws_rds_cluster.autoscaled")).count_range == (2, 2)


AURORA_CFN = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env:
    Type: String
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Cluster:
    Type: AWS::RDS::DBCluster
    Properties: {Engine: aurora-postgresql, DBClusterIdentifier: Orders}
  Writer:
    Type: AWS::RDS::DBInstance
    Properties: {Engine: aurora-postgresql, DBClusterIdentifier: !Ref Cluster, DBInstanceClass: db.r6g.large}
  ReaderByName:
    Type: AWS::RDS::DBInstance
    Properties: {Engine: aurora-postgresql, DBClusterIdentifier: orders, DBInstanceClass: db.r6g.large}
  ProdReader:
    Type: AWS::RDS::DBInstance
    Condition: IsProd
    Properties: {Engine: aurora-postgresql, DBClusterIdentifier: !Ref Cluster, DBInstanceClass: db.r6g.large}
"""


def test_cluster_members_by_reference_name_and_condition(tmp_path):
    arch = _arch(tmp_path, AURORA_CFN)
    members = cluster_members(arch, _res(arch, "Cluster"))
    assert sorted(m.address for m in members.certain) == ["ReaderByName", "Writer"]
    assert [(m.address, c) for m, c in members.conditional] == [("ProdReader", "IsProd")]
    assert members.count_range == (2, 3)


def test_cluster_handed_to_a_nested_stack_may_have_more_members(tmp_path):
    arch = _arch(tmp_path, AURORA_CFN + """\
  Readers:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: https://s3.amazonaws.com/bucket/readers.yaml
      Parameters: {ClusterId: !Ref Cluster}
""")
    assert cluster_members(arch, _res(arch, "Cluster")).count_range == (2, None)


def test_members_on_the_clusters_own_condition_are_certain(tmp_path):
    arch = _arch(tmp_path, """\
        AWSTemplateFormatVersion: "2010-09-09"
        Parameters:
          Analytics:
            Type: String
          HaReader:
            Type: String
        Conditions:
          WithAnalytics: !Equals [!Ref Analytics, "yes"]
          WithReader: !Equals [!Ref HaReader, "yes"]
        Resources:
          Cluster:
            Type: AWS::RDS::DBCluster
            Condition: WithAnalytics
            Properties: {Engine: aurora-mysql}
          Writer:
            Type: AWS::RDS::DBInstance
            Condition: WithAnalytics
            Properties: {Engine: aurora-mysql, DBClusterIdentifier: !Ref Cluster, DBInstanceClass: db.r6g.large}
          Reader:
            Type: AWS::RDS::DBInstance
            Condition: WithReader
            Properties: {Engine: aurora-mysql, DBClusterIdentifier: !Ref Cluster, DBInstanceClass: db.r6g.large}
        """)
    members = cluster_members(arch, _res(arch, "Cluster"))
    assert [m.address for m in members.certain] == ["Writer"]
    assert [(m.address, c) for m, c in members.conditional] == [("Reader", "WithReader")]
    assert members.count_range == (1, 2)


# -- EFS One Zone on a condition, and lines of dynamic blocks ----------------------------------

EFS_CFN = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  StorageClass:
    Type: String
  Az:
    Type: String
Conditions:
  OneZone: !Equals [!Ref StorageClass, one-zone]
Resources:
  Maybe:
    Type: AWS::EFS::FileSystem
    Properties:
      AvailabilityZoneName: !If [OneZone, us-east-1b, !Ref AWS::NoValue]
  FromParameter:
    Type: AWS::EFS::FileSystem
    Properties:
      AvailabilityZoneName: !Ref Az
"""


def test_efs_one_zone_per_branch_and_from_an_unknown_az(tmp_path):
    arch = _arch(tmp_path, EFS_CFN)
    spans = azs_spanned(arch, _res(arch, "Maybe"))
    # One Zone in the branch that sets the AZ; the Regional branch has no mount target: unknown.
    assert [(s.prop, s.branch, s.places[0].zone) for s in spans] == [
        ("availability_zone_name", "condition OneZone true", Zone("name", "us-east-1b"))]
    (unknown_az,) = azs_spanned(arch, _res(arch, "FromParameter"))
    assert unknown_az.single_az and unknown_az.places[0].zone is UNKNOWN


def test_property_line_of_a_dynamic_block(tmp_path):
    arch = _arch(tmp_path, """\
        resource "aws_lb" "nlb" {
          load_balancer_type = "network"

          dynamic "subnet_mapping" {
            for_each = ["subnet-0a1b2c3d4e5f60718"]
            content {
              subnet_id = subnet_mapping.value
            }
          }
        }
        """, "main.tf")
    lb = _res(arch, "aws_lb.nlb")
    assert lb.line_of("subnet_mappings") == 4
    assert _only_span(arch, "aws_lb.nlb").single_az


def test_positions_in_a_filtered_az_list_are_not_the_regions_positions(tmp_path):
    arch = _arch(tmp_path, """
        data "aws_availability_zones" "all" {
          state = "available"
        }
        data "aws_availability_zones" "no_a" {
          exclude_names = ["us-east-1a"]
        }
        resource "aws_subnet" "a" {
          vpc_id            = "vpc-1"
          cidr_block        = "10.0.1.0/24"
          availability_zone = data.aws_availability_zones.all.names[0]
        }
        resource "aws_subnet" "b" {
          vpc_id            = "vpc-1"
          cidr_block        = "10.0.2.0/24"
          availability_zone = data.aws_availability_zones.no_a.names[0]
        }
        resource "aws_subnet" "c" {
          vpc_id            = "vpc-1"
          cidr_block        = "10.0.3.0/24"
          availability_zone = data.aws_availability_zones.no_a.names[0]
        }
        resource "aws_db_subnet_group" "mixed" {
          name       = "mixed"
          subnet_ids = [aws_subnet.a.id, aws_subnet.b.id]
        }
        resource "aws_db_subnet_group" "same" {
          name       = "same"
          subnet_ids = [aws_subnet.b.id, aws_subnet.c.id]
        }
    """, "main.tf")
    assert subnet_zone(arch, _res(arch, "aws_subnet.a")) != subnet_zone(arch, _res(arch, "aws_subnet.b"))
    assert _only_span(arch, "aws_db_subnet_group.mixed").multi_az
    assert _only_span(arch, "aws_db_subnet_group.same").single_az  # [0] of the same list, twice
