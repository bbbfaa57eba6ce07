"""Availability rules (HA1xx) on boundaries the fixtures cannot show: a finding's content
(which gaps it lists, which branch it names), read from real templates."""

from __future__ import annotations

import textwrap
from pathlib import Path

from ha_lint.engine import all_rules, select
from ha_lint.model import Finding
from ha_lint.scan import ScanSettings, scan


def _findings(tmp_path: Path, rule_id: str, text: str, name: str) -> list[Finding]:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    rules = [cls() for cls in select(all_rules(), [rule_id], None)]
    result = scan(ScanSettings(paths=[str(tmp_path if name.endswith(".tf") else path)]), rules)
    assert result.errors == [] and result.rule_failures == []
    return sorted(result.findings, key=lambda f: f.line)


def test_ha108_cache_clusters_joining_a_group_are_its_replicas(tmp_path):
    found = _findings(tmp_path, "HA108", """\
        resource "aws_elasticache_replication_group" "joined" {
          replication_group_id = "joined"
          description          = "primary plus a replica added as a cache cluster"
          node_type            = "cache.t4g.small"
        }

        resource "aws_elasticache_cluster" "replica" {
          cluster_id           = "joined-2"
          replication_group_id = aws_elasticache_replication_group.joined.id
        }

        resource "aws_elasticache_replication_group" "alone" {
          replication_group_id = "alone"
          description          = "one node"
          node_type            = "cache.t4g.small"
        }
        """, "main.tf")
    by_resource = {f.resource: f for f in found}
    assert set(by_resource) == {"aws_elasticache_replication_group.joined", "aws_elasticache_replication_group.alone"}
    joined = by_resource["aws_elasticache_replication_group.joined"]
    assert joined.detail == "automatic_failover,multi_az" and "single node" not in joined.message
    assert by_resource["aws_elasticache_replication_group.alone"].detail == "automatic_failover,multi_az,nodes"


def test_ha108_cluster_mode_string_does_not_hide_a_single_node(tmp_path):
    (finding,) = _findings(tmp_path, "HA108", """\
        resource "aws_elasticache_replication_group" "counters" {
          replication_group_id       = "counters"
          description                = "counters"
          node_type                  = "cache.t4g.small"
          cluster_mode               = "disabled"
          automatic_failover_enabled = true
          multi_az_enabled           = true
          num_cache_clusters         = 1
        }
        """, "main.tf")
    assert finding.detail == "num_cache_clusters" and finding.line == 8


def test_ha102_names_the_provisioned_branch_of_a_conditional_engine_mode(tmp_path):
    (finding,) = _findings(tmp_path, "HA102", """\
        AWSTemplateFormatVersion: "2010-09-09"
        Parameters:
          Env:
            Type: String
        Conditions:
          IsProd: !Equals [!Ref Env, prod]
        Resources:
          Reports:
            Type: AWS::RDS::DBCluster
            Properties:
              Engine: aurora-mysql
              EngineMode: !If [IsProd, provisioned, serverless]
        """, "template.yaml")
    assert finding.resource == "Reports" and "(when condition IsProd true)" in finding.message
    assert "no writer" in finding.message


def test_ha105_minimum_of_zero_behind_a_load_balancer_with_a_desired_capacity(tmp_path):
    (finding,) = _findings(tmp_path, "HA105", """\
        AWSTemplateFormatVersion: "2010-09-09"
        Resources:
          WebTargets:
            Type: AWS::ElasticLoadBalancingV2::TargetGroup
            Properties: {Port: 80, Protocol: HTTP, VpcId: vpc-0a1b2c3d}
          Web:
            Type: AWS::AutoScaling::AutoScalingGroup
            Properties:
              MinSize: "0"
              MaxSize: "4"
              DesiredCapacity: "2"
              HealthCheckType: ELB
              TargetGroupARNs: [!Ref WebTargets]
              VPCZoneIdentifier: [subnet-0a1b2c3d, subnet-1a2b3c4d]
        """, "template.yaml")
    assert finding.line == 9 and finding.detail == "min_size"
    assert "single instance (or none)" in finding.message
