"""Public addresses and internet reachability (NS408/NS409), through real templates: the
publicly-accessible defaults of each API and tool, and the IPv4-only path."""

from __future__ import annotations

import pytest

from conftest import architecture_of as _arch
from ha_lint.graph import Architecture
from ha_lint.queries.reach import exposures, public_flags


def _flags(arch: Architecture) -> dict[str, list[tuple[str | None, int]]]:
    return {r.address: [(f.branch, f.line) for f in public_flags(arch, r)] for r in arch.resources
            if r.kind in ("rds_instance", "rds_cluster", "rds_cluster_instance", "redshift_cluster",
                          "dms_replication_instance")}


CFN_DEFAULTS = """
Parameters:
  Env: {Type: String}
  Engine: {Type: String}
Conditions:
  IsDev: !Equals [!Ref Env, dev]
Resources:
  NoSubnetGroup:
    Type: AWS::RDS::DBInstance
    Properties: {Engine: mysql, DBInstanceClass: db.t3.micro}
  DefaultSubnetGroup:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: mysql
      DBInstanceClass: db.t3.micro
      DBSubnetGroupName: DEFAULT
  OwnSubnetGroup:
    Type: AWS::RDS::DBInstance
    Properties: {Engine: mysql, DBInstanceClass: db.t3.micro, DBSubnetGroupName: private}
  UnknownEngine:
    Type: AWS::RDS::DBInstance
    Properties: {Engine: !Ref Engine, DBInstanceClass: db.t3.micro}
  AuroraEngine:
    Type: AWS::RDS::DBInstance
    Properties: {Engine: aurora-mysql, DBInstanceClass: db.r6g.large}
  Replica:
    Type: AWS::RDS::DBInstance
    Properties: {SourceDBInstanceIdentifier: !Ref OwnSubnetGroup, DBInstanceClass: db.t3.micro, Engine: mysql}
  OnBranch:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: mysql
      DBInstanceClass: db.t3.micro
      DBSubnetGroupName: private
      PubliclyAccessible: !If [IsDev, "true", "false"]
  Dms:
    Type: AWS::DMS::ReplicationInstance
    Properties: {ReplicationInstanceClass: dms.t3.medium}
  Warehouse:
    Type: AWS::Redshift::Cluster
    Properties: {NodeType: ra3.xlplus, ClusterType: single-node, DBName: dev, MasterUsername: admin}
  Aurora:
    Type: AWS::RDS::DBCluster
    Properties: {Engine: aurora-postgresql}
"""


def test_cloudformation_defaults_follow_each_api(tmp_path):
    flags = _flags(_arch(tmp_path, CFN_DEFAULTS))
    assert flags == {
        "NoSubnetGroup": [(None, 8)],  # the default VPC: public
        "DefaultSubnetGroup": [(None, 16)],  # the subnet group named "default": public, at its line
        "OwnSubnetGroup": [], "UnknownEngine": [], "AuroraEngine": [], "Replica": [],
        "OnBranch": [("condition IsDev true", 35)],
        "Dms": [(None, 36)],  # the DMS API's default is public
        "Warehouse": [], "Aurora": [],
    }


def test_terraform_sends_false_when_left_out(tmp_path):
    arch = _arch(tmp_path, """
        resource "aws_db_instance" "db" {
          engine         = "mysql"
          instance_class = "db.t3.micro"
        }
        resource "aws_dms_replication_instance" "dms" {
          replication_instance_id    = "dms"
          replication_instance_class = "dms.t3.medium"
        }
        resource "aws_redshift_cluster" "warehouse" {
          cluster_identifier = "warehouse"
          node_type          = "ra3.xlplus"
        }
        resource "aws_rds_cluster_instance" "member" {
          cluster_identifier = "c"
          instance_class     = "db.r6g.large"
        }
        resource "aws_rds_cluster" "maz" {
          engine                    = "postgres"
          db_cluster_instance_class = "db.m6gd.large"
          publicly_accessible       = "true"
        }
        """, name="tf/main.tf")
    assert _flags(arch) == {"aws_db_instance.db": [], "aws_dms_replication_instance.dms": [],
                            "aws_redshift_cluster.warehouse": [], "aws_rds_cluster_instance.member": [],
                            "aws_rds_cluster.maz": [(None, 21)]}


PATH = """
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_internet_gateway" "igw" {
  vpc_id = aws_vpc.main.id
}
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.0.0/24"
}
resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.igw.id
  }
}
resource "aws_route_table_association" "a" {
  subnet_id      = aws_subnet.a.id
  route_table_id = aws_route_table.public.id
}
resource "aws_db_subnet_group" "public" {
  subnet_ids = [aws_subnet.a.id]
}
resource "aws_security_group" "db" {
  ingress {
    from_port        = 5432
    to_port          = 5432
    protocol         = "tcp"
    SOURCE
  }
}
resource "aws_db_instance" "db" {
  engine                 = "postgres"
  instance_class         = "db.t3.micro"
  db_subnet_group_name   = aws_db_subnet_group.public.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = true
}
"""


@pytest.mark.parametrize("source, reachable", [
    ('cidr_blocks = ["0.0.0.0/0"]', True),
    ('ipv6_cidr_blocks = ["::/0"]', False),  # the public address and the route are IPv4
    ('cidr_blocks = ["203.0.113.0/24"]', False),
])
def test_the_path_needs_an_ipv4_world_rule(tmp_path, source, reachable):
    arch = _arch(tmp_path, PATH.replace("SOURCE", source), name="path/main.tf")
    found = list(exposures(arch))
    assert [e.datastore.address for e in found] == (["aws_db_instance.db"] if reachable else [])
    if reachable:
        assert "0.0.0.0/0 on tcp port 5432" in found[0].path() and "aws_internet_gateway.igw" in found[0].path()
