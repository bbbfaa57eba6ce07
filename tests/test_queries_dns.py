"""Route 53 questions (ha_lint.queries.dns) on real templates."""

from __future__ import annotations

from pathlib import Path

from ha_lint.graph import Architecture
from ha_lint.queries import dns
from ha_lint.scan import ScanSettings, scan
from ha_lint.values import UNKNOWN


def architecture(tmp_path: Path, files: dict[str, str]) -> Architecture:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    result = scan(ScanSettings(paths=[str(tmp_path)], cache_dir=None, jobs=1), [])
    assert result.errors == []
    assert result.architecture is not None
    return result.architecture


def by_label(arch: Architecture) -> dict[str, dns.Record]:
    return {r.label: r for r in dns.records(arch)}


GROUP = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  WithCheck:
    Type: String
    AllowedValues: ["yes", "no"]
Conditions:
  HasCheck: !Equals [!Ref WithCheck, "yes"]
Resources:
  Check:
    Type: AWS::Route53::HealthCheck
    Properties:
      HealthCheckConfig: {Type: HTTPS, FullyQualifiedDomainName: a.example.com}
  Group:
    Type: AWS::Route53::RecordSetGroup
    Properties:
      HostedZoneName: example.com.
      RecordSets:
        - Name: app.example.com.
          Type: A
          SetIdentifier: one
          Failover: PRIMARY
          HealthCheckId: !If [HasCheck, !Ref Check, !Ref "AWS::NoValue"]
          TTL: "60"
          ResourceRecords: [192.0.2.1]
        - Name: APP.example.com
          Type: A
          SetIdentifier: two
          Failover: SECONDARY
          AliasTarget: {DNSName: b.example.net, HostedZoneId: Z1, EvaluateTargetHealth: true}
"""


def test_group_entries_are_records_with_the_group_zone_and_lines(tmp_path: Path) -> None:
    recs = by_label(architecture(tmp_path, {"g.yaml": GROUP}))
    assert set(recs) == {"Group.RecordSets[0]", "Group.RecordSets[1]"}
    first = recs["Group.RecordSets[0]"]
    assert first.get("zone_name") == "example.com."
    assert first.line_of("failover") == 22
    assert first.line == 19


def test_health_check_missing_only_in_one_branch(tmp_path: Path) -> None:
    recs = by_label(architecture(tmp_path, {"g.yaml": GROUP}))
    assert dns.unprotected_branches(recs["Group.RecordSets[0]"]) == ["condition HasCheck false"]
    assert dns.unprotected_branches(recs["Group.RecordSets[1]"]) == []  # alias evaluating target health


def test_pairs_match_names_case_and_trailing_dot_insensitively(tmp_path: Path) -> None:
    arch = architecture(tmp_path, {"g.yaml": GROUP})
    recs = dns.records(arch)
    primary, secondary = recs
    assert dns.same_name(arch, primary, secondary) is True
    assert dns.failover_partner(arch, recs, primary, "PRIMARY") is True
    assert dns.failover_partner(arch, recs, secondary, "SECONDARY") is True


TF = """
resource "aws_route53_zone" "main" {
  name = "example.org"
}
resource "aws_route53_zone" "other" {
  name = "example.net"
}
variable "role" {
  type = string
}
resource "aws_route53_record" "relative" {
  zone_id        = aws_route53_zone.main.zone_id
  name           = "api"
  type           = "A"
  records        = ["192.0.2.1"]
  set_identifier = "a"
  failover_routing_policy {
    type = "PRIMARY"
  }
}
resource "aws_route53_record" "fqdn" {
  zone_id        = aws_route53_zone.main.zone_id
  name           = "api.example.org."
  type           = "A"
  records        = ["192.0.2.2"]
  set_identifier = "b"
  failover_routing_policy {
    type = "SECONDARY"
  }
}
resource "aws_route53_record" "other_zone" {
  zone_id        = aws_route53_zone.other.zone_id
  name           = "api"
  type           = "A"
  records        = ["192.0.2.3"]
  set_identifier = "c"
  failover_routing_policy {
    type = "PRIMARY"
  }
}
resource "aws_route53_record" "either" {
  zone_id        = aws_route53_zone.other.zone_id
  name           = "www"
  type           = "A"
  records        = ["192.0.2.4"]
  set_identifier = "d"
  failover_routing_policy {
    type = var.role
  }
}
resource "aws_route53_record" "weighted" {
  zone_id        = aws_route53_zone.main.zone_id
  name           = "w"
  type           = "A"
  records        = ["192.0.2.5"]
  set_identifier = "e"
  multivalue_answer_routing_policy = false
  weighted_routing_policy {
    weight = 5
  }
}
"""


def test_terraform_names_relative_to_known_zones(tmp_path: Path) -> None:
    arch = architecture(tmp_path, {"main.tf": TF})
    recs = {r.owner.address: r for r in dns.records(arch)}
    assert dns.fqdn(arch, recs["aws_route53_record.relative"]) == "api.example.org"
    assert dns.same_name(arch, recs["aws_route53_record.relative"], recs["aws_route53_record.fqdn"]) is True
    assert dns.same_zone(arch, recs["aws_route53_record.relative"], recs["aws_route53_record.other_zone"]) is False
    every = list(recs.values())
    assert dns.failover_partner(arch, every, recs["aws_route53_record.relative"], "PRIMARY") is True
    assert dns.failover_partner(arch, every, recs["aws_route53_record.other_zone"], "PRIMARY") is False


def test_unknown_roles_may_be_either_half(tmp_path: Path) -> None:
    arch = architecture(tmp_path, {"main.tf": TF})
    recs = {r.owner.address: r for r in dns.records(arch)}
    assert dns.failover_roles(recs["aws_route53_record.either"]) == [(None, UNKNOWN)]


def test_routing_policies_and_their_lines(tmp_path: Path) -> None:
    arch = architecture(tmp_path, {"main.tf": TF})
    recs = {r.owner.address: r for r in dns.records(arch)}
    assert dns.routing_policies(recs["aws_route53_record.weighted"]) == [("weighted", 58)]
    assert dns.routing_policies(recs["aws_route53_record.relative"]) == []


TF_DYNAMIC_POLICIES = """\
variable "records" {
  default = {
    primary = { type = "PRIMARY", weight = null }
    blue    = { type = null, weight = 90 }
  }
}

resource "aws_route53_record" "this" {
  for_each       = var.records
  zone_id        = "Z0123456789ABC"
  name           = "${each.key}.example.com"
  type           = "A"
  ttl            = 60
  records        = ["192.0.2.10"]
  set_identifier = each.key

  dynamic "failover_routing_policy" {
    for_each = each.value.type != null ? [each.value.type] : []
    content {
      type = failover_routing_policy.value
    }
  }

  dynamic "weighted_routing_policy" {
    for_each = each.value.weight != null ? [each.value.weight] : []
    content {
      weight = weighted_routing_policy.value
    }
  }
}
"""


def test_policies_from_dynamic_blocks_point_at_their_block(tmp_path: Path) -> None:
    arch = architecture(tmp_path, {"main.tf": TF_DYNAMIC_POLICIES})
    recs = {r.owner.address: r for r in dns.records(arch)}
    primary, blue = recs['aws_route53_record.this["primary"]'], recs['aws_route53_record.this["blue"]']
    assert [role for _, role in dns.failover_roles(primary)] == ["PRIMARY"]
    assert primary.line_of("failover") == 17  # the dynamic "failover_routing_policy" line
    assert dns.routing_policies(blue) == [("weighted", 24)]
