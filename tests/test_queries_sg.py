"""The security-group rule model: "covers" relations against brute force, and the model read
from real CloudFormation and Terraform templates."""

from __future__ import annotations

import ipaddress
import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import architecture_of as _arch, resource_at as _res
from ha_lint.graph import Architecture, Options
from ha_lint.queries.sg import (DATABASE_PORTS, cidr_covers, database_ports, database_protocols, describe_world,
                                guarding_groups, ingress_rules_of, is_world, range_covers, rules_of,
                                transfer_servers_only, whole_private_range, world_rules_on_port)
from ha_lint.scan import ScanSettings, scan


# -- "covers" against brute force --------------------------------------------------------------

ports = st.integers(min_value=0, max_value=40)


@given(ports, ports, ports, ports)
def test_range_covers_matches_brute_force(a, b, c, d):
    outer, inner = (min(a, b), max(a, b)), (min(c, d), max(c, d))
    brute = all(outer[0] <= p <= outer[1] for p in range(inner[0], inner[1] + 1))
    assert range_covers(outer, inner) == brute


def _addresses(cidr: str) -> set[int]:
    """Every address of a small network, by bit arithmetic (no ipaddress containment)."""
    text, _, length = cidr.partition("/")
    bits = 32 if "." in text else 128
    base = int(ipaddress.ip_address(text)) >> (bits - int(length)) << (bits - int(length))
    return set(range(base, base + (1 << (bits - int(length)))))


def _member(address: int, cidr: str) -> bool:
    text, _, length = cidr.partition("/")
    bits = 32 if "." in text else 128
    shift = bits - int(length)
    return address >> shift == int(ipaddress.ip_address(text)) >> shift


v4_small = st.builds(lambda host, length: f"192.168.7.{host}/{length}", st.integers(0, 255), st.integers(26, 32))
v4_any = st.one_of(v4_small, st.builds(lambda length: f"192.168.0.0/{length}", st.integers(0, 25)))
v6_small = st.builds(lambda host, length: f"2001:db8::{host:x}/{length}", st.integers(0, 255), st.integers(122, 128))
v6_any = st.one_of(v6_small, st.builds(lambda length: f"2001:db8::/{length}", st.integers(0, 121)))


@given(v4_any, v4_small)
def test_ipv4_cidr_covers_matches_brute_force(outer, inner):
    assert cidr_covers(outer, inner) == all(_member(a, outer) for a in _addresses(inner))


@given(v6_any, v6_small)
def test_ipv6_cidr_covers_matches_brute_force(outer, inner):
    assert cidr_covers(outer, inner) == all(_member(a, outer) for a in _addresses(inner))


@given(v4_any, v6_any)
def test_cidr_covers_never_crosses_address_families(v4, v6):
    assert not cidr_covers(v4, v6) and not cidr_covers(v6, v4)


# -- the rule model against the AWS semantics, through real templates ----------------------------

PROTOCOLS = ["-1", "tcp", "udp", "icmp", "6", "17", "50"]
rule_specs = st.lists(st.tuples(st.sampled_from(PROTOCOLS), st.integers(-1, 70000), st.integers(-1, 70000)),
                      min_size=1, max_size=6)


def _reference_open(protocol: str, low: int, high: int, port: int, transport: str = "tcp") -> bool:
    """``port`` of ``transport`` ("tcp"/"udp") is reachable through a rule, per the EC2 API:
    -1 protocol is everything; for TCP/UDP a -1 port means every port; otherwise the
    inclusive range."""
    if protocol == "-1":
        return True
    if protocol not in {"tcp": ("tcp", "6"), "udp": ("udp", "17")}[transport]:
        return False
    if low == -1 or high == -1:
        return True
    return low <= port <= high


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rule_specs)
def test_inline_rules_open_exactly_the_ports_aws_opens(tmp_path, specs):
    entries = [{"IpProtocol": p, "FromPort": lo, "ToPort": hi, "CidrIp": "0.0.0.0/0"} for p, lo, hi in specs]
    template = {"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
        "GroupDescription": "generated", "SecurityGroupIngress": entries}}}}
    arch = _arch(tmp_path, json.dumps(template, indent=1), name="template.json")
    rules = list(rules_of(arch))
    assert len(rules) == len(specs)
    for rule, (protocol, low, high) in zip(rules, specs):
        for port in (0, 22, 5432, 65535, low, high):
            if 0 <= port <= 65535:
                assert rule.covers_tcp_port(port) == _reference_open(protocol, low, high, port), (rule, port)
                for transports in (("udp",), ("tcp", "udp")):
                    brute = any(_reference_open(protocol, low, high, port, t) for t in transports)
                    assert rule.opens(port, transports) == brute, (rule, port, transports)


# -- model details from real templates ----------------------------------------------------------------

CFN = """
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.4.0.0/16}
  AppSg:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: app, VpcId: !Ref Vpc}
  DbSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: db
      VpcId: !Ref Vpc
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: !Ref AppSg}
        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, CidrIp: !GetAtt Vpc.CidrBlock}
  ExtraSg:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: extra, VpcId: !Ref Vpc}
  ExtraWorld:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {GroupId: !GetAtt ExtraSg.GroupId, IpProtocol: "-1", CidrIp: 0.0.0.0/0}
  Cluster:
    Type: AWS::RDS::DBCluster
    Properties: {Engine: aurora-postgresql, VpcSecurityGroupIds: [!Ref DbSg, !GetAtt ExtraSg.GroupId, sg-0123]}
  Member:
    Type: AWS::RDS::DBInstance
    Properties: {Engine: aurora-postgresql, DBClusterIdentifier: !Ref Cluster, DBInstanceClass: db.r6g.large}
  Node:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-12345678
      NetworkInterfaces:
        - {DeviceIndex: "0", GroupSet: [!Ref AppSg]}
"""


def test_guarding_groups_follow_references_and_aurora_members_inherit_the_cluster(tmp_path):
    arch = _arch(tmp_path, CFN)
    member_groups = {g.address for g in guarding_groups(arch, _res(arch, "Member"))}
    assert member_groups == {"DbSg", "ExtraSg"}  # sg-0123 is not in the scanned set
    assert {g.address for g in guarding_groups(arch, _res(arch, "Node"))} == {"AppSg"}


def test_rules_apply_to_their_group_and_resolve_vpc_cidr_references(tmp_path):
    arch = _arch(tmp_path, CFN)
    groups = guarding_groups(arch, _res(arch, "Cluster"))
    rules = ingress_rules_of(arch, groups)
    assert sorted(r.owner.address for r in rules) == ["DbSg", "DbSg", "ExtraWorld"]
    vpc_rule = next(r for r in rules if "10.4.0.0/16" in r.cidrs)
    assert whole_private_range(arch, vpc_rule.owner, "10.4.0.0/16") == "10.4.0.0/16, the CIDR of VPC Vpc"
    assert whole_private_range(arch, vpc_rule.owner, "10.4.3.0/24") is None
    assert whole_private_range(arch, vpc_rule.owner, "172.16.0.0/12") == "172.16.0.0/12, a whole private range"
    assert whole_private_range(arch, vpc_rule.owner, "0.0.0.0/0") is None
    # Only the all-traffic rule admits the world; it covers any port, known or not.
    assert [r.owner.address for r in world_rules_on_port(rules, 5432)] == ["ExtraWorld"]
    assert [r.owner.address for r in world_rules_on_port(rules, None)] == ["ExtraWorld"]


def test_inline_entry_lines_in_yaml_and_json(tmp_path):
    arch = _arch(tmp_path, CFN)
    lines = [r.line for r in rules_of(arch) if r.owner.address == "DbSg"]
    assert lines == [15, 16]  # the "- {IpProtocol: ...}" lines
    json_arch = _arch(tmp_path / "j", """
        {"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
          "GroupDescription": "x",
          "SecurityGroupIngress": [
            {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "CidrIp": "0.0.0.0/0"},
            {"IpProtocol": "tcp", "FromPort": 3, "ToPort": 4, "CidrIp": "0.0.0.0/0"}
          ]}}}}
        """, name="t.json")
    assert [r.line for r in rules_of(json_arch)] == [5, 6]


def test_terraform_dynamic_blocks_and_separate_rules(tmp_path):
    arch = _arch(tmp_path, """
        locals {
          ports = [3306, 6379]
        }

        resource "aws_security_group" "db" {
          name = "db"

          dynamic "ingress" {
            for_each = local.ports
            content {
              from_port   = ingress.value
              to_port     = ingress.value
              protocol    = "tcp"
              cidr_blocks = ["0.0.0.0/0"]
            }
          }
        }

        resource "aws_security_group_rule" "self" {
          type              = "ingress"
          security_group_id = aws_security_group.db.id
          from_port         = 0
          to_port           = 0
          protocol          = "-1"
          self              = true
        }
        """, name="mod/main.tf")
    rules = list(rules_of(arch))
    dynamic = [r for r in rules if r.owner.address == "aws_security_group.db"]
    assert [(r.ports, r.line) for r in dynamic] == [((3306, 3306), 9), ((6379, 6379), 9)]
    (self_rule,) = [r for r in rules if r.owner.type == "aws_security_group_rule"]
    assert self_rule.group is not None and self_rule.group.address == "aws_security_group.db"
    assert self_rule.other_sources == ("self",) and not self_rule.world_cidrs()


@pytest.mark.parametrize("override, expected", [
    (None, DATABASE_PORTS),
    ([5432, "8123"], {5432: "PostgreSQL", 8123: "database"}),
    ({"7000": "ScyllaDB", 99999: "bad"}, {7000: "ScyllaDB"}),
])
def test_database_ports_override(override, expected):
    options = Options(extra={} if override is None else {"database_ports": override})
    assert database_ports(Architecture([], [], options)) == expected


# -- forms of rules and where their sources come from ------------------------------------------------


def test_group_name_rules_and_the_default_security_group_are_read(tmp_path):
    arch = _arch(tmp_path, """
        Resources:
          Legacy:
            Type: AWS::EC2::SecurityGroup
            Properties: {GroupDescription: legacy, GroupName: legacy-web}
          ByRef:
            Type: AWS::EC2::SecurityGroupIngress
            Properties: {GroupName: !Ref Legacy, IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
          ByName:
            Type: AWS::EC2::SecurityGroupIngress
            Properties: {GroupName: legacy-web, IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0}
          Elsewhere:
            Type: AWS::EC2::SecurityGroupIngress
            Properties: {GroupName: not-in-this-template, IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0}
        """)
    groups = {r.owner.address: (r.group.address if r.group else None) for r in rules_of(arch)}
    assert groups == {"ByRef": "Legacy", "ByName": "Legacy", "Elsewhere": None}
    tf = _arch(tmp_path / "tf", """
        resource "aws_default_security_group" "default" {
          vpc_id = "vpc-0123456789abcdef0"
          ingress {
            protocol    = -1
            from_port   = 0
            to_port     = 0
            cidr_blocks = ["0.0.0.0/0"]
          }
        }
        """, name="main.tf")
    (rule,) = list(rules_of(tf))
    assert rule.owner.type == "aws_default_security_group" and rule.all_protocols and rule.world_cidrs() == ["0.0.0.0/0"]


def test_a_source_origin_is_named_for_the_entry_it_belongs_to(tmp_path):
    arch = _arch(tmp_path, """
        Parameters:
          SSHLocation: {Type: String, Default: 0.0.0.0/0}
        Resources:
          One:
            Type: AWS::EC2::SecurityGroup
            Properties:
              GroupDescription: one
              SecurityGroupIngress:
                - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref SSHLocation}
                - {IpProtocol: tcp, FromPort: 443, ToPort: 443, SourcePrefixListId: pl-0123}
          Two:
            Type: AWS::EC2::SecurityGroup
            Properties:
              GroupDescription: two
              SecurityGroupIngress:
                - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref SSHLocation}
                - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}
        """)
    why = {(r.owner.address, r.ports): r.why for r in rules_of(arch)}
    assert "parameter SSHLocation" in why[("One", (22, 22))]
    # Origins are kept per entry: with two entries setting CidrIp, each has its own.
    assert "parameter SSHLocation" in why[("Two", (22, 22))] and why[("Two", (443, 443))] == ""


def test_an_entry_inside_fn_if_points_at_its_branch(tmp_path):
    arch = _arch(tmp_path, """
        Parameters:
          Env: {Type: String}
        Conditions:
          IsDev: !Equals [!Ref Env, dev]
        Resources:
          Sg:
            Type: AWS::EC2::SecurityGroup
            Properties:
              GroupDescription: sg
              SecurityGroupIngress:
                - !If
                  - IsDev
                  - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
                  - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 10.0.0.0/8}
        """)
    found = sorted((r.line, r.branch, r.cidrs) for r in rules_of(arch))
    assert found == [(14, "condition IsDev true", ("0.0.0.0/0",)), (15, "condition IsDev false", ("10.0.0.0/8",))]


@pytest.mark.parametrize("port, protocols", [(5432, ("tcp",)), (11211, ("tcp", "udp")), (2049, ("tcp", "udp")),
                                             (6379, ("tcp",))])
def test_database_protocols(port, protocols):
    assert database_protocols(port) == protocols


def test_describe_world_names_a_disguised_zero_prefix():
    assert describe_world(["0.0.0.0/0", "::/0"]) == "0.0.0.0/0, ::/0"
    assert describe_world(["192.168.1.0/0"]) == "192.168.1.0/0 (a /0: every address)"
    assert is_world("192.168.1.0/0") and not is_world("0.0.0.0/1")


def test_world_rules_on_port_by_ip_version(tmp_path):
    arch = _arch(tmp_path, """
        Resources:
          Sg:
            Type: AWS::EC2::SecurityGroup
            Properties:
              GroupDescription: sg
              SecurityGroupIngress:
                - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, CidrIpv6: "::/0"}
                - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, CidrIp: 0.0.0.0/0}
                - {IpProtocol: udp, FromPort: 5432, ToPort: 5432, CidrIp: 0.0.0.0/0}
        """)
    rules = list(rules_of(arch))
    assert [r.line for r in world_rules_on_port(rules, 5432)] == [8, 9]
    assert [r.line for r in world_rules_on_port(rules, 5432, 4)] == [9]
    assert [r.world_cidrs(6) for r in rules] == [["::/0"], [], []]


def _findings(tmp_path: Path, text: str, rules: str):
    from ha_lint.engine import all_rules, select

    (tmp_path / "main.tf").write_text(textwrap.dedent(text))
    result = scan(ScanSettings(paths=[str(tmp_path)], jobs=1, cache_dir=None),
                  [cls() for cls in select(all_rules(), rules.split(","), None)])
    assert result.errors == [] and result.rule_failures == []
    return result.findings


TOGGLED_SG = """
    variable "enable_https" {
      type = bool
    }

    resource "aws_security_group" "bastion" {
      name = "bastion"
      ingress {
        from_port   = 22
        to_port     = 22
        protocol    = "tcp"
        cidr_blocks = ["0.0.0.0/0"]
      }
      dynamic "ingress" {
        for_each = var.enable_https ? [443] : []
        content {
          from_port   = ingress.value
          to_port     = ingress.value
          protocol    = "tcp"
          cidr_blocks = ["0.0.0.0/0"]
        }
      }
    }
"""


def test_an_entry_on_every_branch_of_a_toggle_is_reported_once_and_without_a_branch(tmp_path: Path) -> None:
    (ssh,) = _findings(tmp_path, TOGGLED_SG, "NS401")
    assert ssh.line == 8 and "branch" not in ssh.message and ssh.detail == "ingress:tcp port 22:0.0.0.0/0"


def test_an_entry_a_dynamic_block_makes_is_reported_at_that_dynamic_block(tmp_path: Path) -> None:
    text = """
        variable "enable_redis" {
          type = bool
        }

        resource "aws_security_group" "toggles" {
          name = "toggles"
          dynamic "ingress" {
            for_each = [22]
            content {
              from_port   = ingress.value
              to_port     = ingress.value
              protocol    = "tcp"
              cidr_blocks = ["0.0.0.0/0"]
            }
          }
          dynamic "ingress" {
            for_each = var.enable_redis ? [6379] : []
            content {
              from_port   = ingress.value
              to_port     = ingress.value
              protocol    = "tcp"
              cidr_blocks = ["0.0.0.0/0"]
            }
          }
        }
    """
    found = {(f.rule_id, f.line) for f in _findings(tmp_path, text, "NS401,NS402")}
    assert found == {("NS401", 8), ("NS402", 17)}


def test_a_list_level_if_on_a_known_condition_points_at_the_chosen_arms_entry(tmp_path):
    arch = _arch(tmp_path, """
        Parameters:
          Env: {Type: String, Default: dev}
        Conditions:
          IsProd: !Equals [!Ref Env, prod]
        Resources:
          Sg:
            Type: AWS::EC2::SecurityGroup
            Properties:
              GroupDescription: sg
              SecurityGroupIngress: !If
                - IsProd
                - - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}
                - - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
        """)
    (rule,) = rules_of(arch)
    assert rule.ports == (22, 22) and rule.line == 14


def test_ns404_names_the_cluster_that_holds_the_group_not_a_member(tmp_path: Path) -> None:
    from ha_lint.engine import all_rules, select

    (tmp_path / "t.yaml").write_text(textwrap.dedent("""
        Resources:
          Sg:
            Type: AWS::EC2::SecurityGroup
            Properties:
              GroupDescription: db
              VpcId: vpc-1
              SecurityGroupIngress:
                - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, CidrIp: 10.0.0.0/8}
          Cluster:
            Type: AWS::RDS::DBCluster
            Properties: {Engine: aurora-postgresql, VpcSecurityGroupIds: [!Ref Sg]}
          Member:
            Type: AWS::RDS::DBInstance
            Properties: {DBClusterIdentifier: !Ref Cluster, Engine: aurora-postgresql, DBInstanceClass: db.r6g.large}
    """))
    result = scan(ScanSettings(paths=[str(tmp_path)], jobs=1), [cls() for cls in select(all_rules(), ["NS404"], None)])
    (finding,) = result.findings
    assert finding.message.startswith("Security group `Sg` guards Cluster and admits PostgreSQL (5432)")


TRANSFER = """
Resources:
  SftpSg:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: sftp}
  AppSg:  # names SftpSg as a source: that puts nothing in SftpSg
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: app
      SecurityGroupEgress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, DestinationSecurityGroupId: !Ref SftpSg}]
  Server:
    Type: AWS::Transfer::Server
    Properties:
      EndpointType: VPC
      EndpointDetails: {VpcId: vpc-1, SubnetIds: [subnet-1], SecurityGroupIds: [!Ref SftpSg]}
  SharedSg:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: shared}
  Shared:
    Type: AWS::Transfer::Server
    Properties:
      EndpointType: VPC
      EndpointDetails: {VpcId: vpc-1, SubnetIds: [subnet-1], SecurityGroupIds: [!Ref SharedSg]}
  Host:
    Type: AWS::EC2::Instance
    Properties: {ImageId: ami-1, SecurityGroupIds: [!Ref SharedSg]}
"""


def test_transfer_servers_only_needs_a_server_and_no_other_member(tmp_path):
    arch = _arch(tmp_path, TRANSFER)
    assert transfer_servers_only(arch, _res(arch, "SftpSg"))
    assert not transfer_servers_only(arch, _res(arch, "SharedSg"))  # an instance uses it too
    assert not transfer_servers_only(arch, _res(arch, "AppSg"))  # no member at all
