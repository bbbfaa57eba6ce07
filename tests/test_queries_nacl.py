"""The NACL model: "covers", shadowing and first-match evaluation against a brute-force
packet-by-packet reference, and entries read from real CloudFormation and Terraform."""

from __future__ import annotations

import ipaddress
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import architecture_of as _arch
from ha_lint.graph import Architecture
from ha_lint.model import CLOUDFORMATION, Resource
from ha_lint.queries.nacl import (CLIENT_EPHEMERAL, Acl, Box, NaclEntry, _entry, acls_of, address_interval,
                                  allows_everything, covered, describe_traffic, evaluate, return_gap, shadowed_by)
from ha_lint.scan import ScanSettings, scan

# -- a brute-force reference: AWS's matching rules, one packet at a time ----------------------------

OWNER = Resource("Acl", "AWS::EC2::NetworkAcl", CLOUDFORMATION, "t.yaml", 1, "t.yaml", {})
ARCH = Architecture([], [OWNER])

V4_HOSTS = [f"10.0.0.{i}" for i in range(17)] + ["192.0.2.1"]
V6_HOSTS = [f"2001:db8::{i:x}" for i in range(17)] + ["2001:db9::1"]
PORTS = range(14)
ICMP = [(t, c) for t in range(5) for c in range(5)]
PROTOCOLS = (1, 6, 17, 50, 58, 99)  # 99: only an all-protocols entry matches it


def _packets():
    for host in V4_HOSTS + V6_HOSTS:
        address = ipaddress.ip_address(host)
        for protocol in PROTOCOLS:
            if protocol in (6, 17):
                yield from ((protocol, port, None, address) for port in PORTS)
            elif protocol in (1, 58):
                yield from ((protocol, None, tc, address) for tc in ICMP)
            else:
                yield protocol, None, None, address


PACKETS = list(_packets())


def _in_cidr(address, cidr: str) -> bool:
    text, _, length = cidr.partition("/")
    network = ipaddress.ip_address(text)
    if network.version != address.version:
        return False
    shift = network.max_prefixlen - int(length)
    return int(address) >> shift == int(network) >> shift


def matches(spec: dict, packet) -> bool:
    """Does a NACL entry (as written) match a packet? The EC2 documentation, literally."""
    protocol, port, icmp, address = packet
    cidr = spec["cidr"]
    if not _in_cidr(address, cidr):
        return False
    if spec["protocol"] == -1:
        return True
    if spec["protocol"] != protocol:
        return False
    if protocol in (6, 17):
        return spec["from"] <= port <= spec["to"]
    if protocol == 1 or (protocol == 58 and ":" in cidr):
        kind, code = spec["type"], spec["code"]
        return kind == -1 or (kind == icmp[0] and (code == -1 or code == icmp[1]))
    return True  # other protocols (and ICMPv6 on an IPv4 entry): every port / type


def _point(packet) -> tuple[int, int, int]:
    protocol, port, icmp, address = packet
    code = port if protocol in (6, 17) else (icmp[0] * 256 + icmp[1] if icmp else 0)
    net = ipaddress.ip_network(address)
    return protocol, code, address_interval(net)[0]


def _in_box(point, box: Box) -> bool:
    return all(lo <= v <= hi for v, (lo, hi) in zip(point, box))


# -- entries from specs ------------------------------------------------------------------------------

_PROTOCOL_TEXT = {-1: "-1", 1: "icmp", 6: "tcp", 17: "udp", 50: "50", 58: "58"}


def _model(spec: dict, number: int = 100, action: str = "allow", egress: bool = False) -> NaclEntry:
    key = "cidr_ipv6" if ":" in spec["cidr"] else "cidr_ipv4"
    fields = {"rule_number": number, "action": action, "protocol": _PROTOCOL_TEXT[spec["protocol"]],
              key: spec["cidr"], "from_port": spec["from"], "to_port": spec["to"],
              "icmp_type": spec["type"], "icmp_code": spec["code"]}
    return _entry(ARCH, OWNER, OWNER.uid, egress, fields, 1, None, False)


def _spec(draw, cidrs) -> dict:
    protocol = draw(st.sampled_from(sorted(_PROTOCOL_TEXT)))
    low = draw(st.integers(0, 12))
    return {"protocol": protocol, "cidr": draw(cidrs), "from": low, "to": draw(st.integers(low, 12)),
            "type": draw(st.integers(-1, 3)), "code": draw(st.integers(-1, 3))}


# Entries whose every packet lies in the universe above ...
narrow_cidr = st.one_of(
    st.builds(lambda h, n: str(ipaddress.ip_network(f"10.0.0.{h}/{n}", strict=False)), st.integers(0, 15), st.integers(28, 32)),
    st.builds(lambda h, n: str(ipaddress.ip_network(f"2001:db8::{h:x}/{n}", strict=False)), st.integers(0, 15), st.integers(124, 128)))
# ... and entries that may reach beyond it.
any_cidr = st.one_of(narrow_cidr, st.sampled_from(["0.0.0.0/0", "10.0.0.0/8", "10.0.0.0/27", "::/0", "2001:db8::/32"]))
narrow = st.composite(lambda draw: _spec(draw, narrow_cidr))()
wide = st.composite(lambda draw: _spec(draw, any_cidr))()


@pytest.mark.slow  # a property test over many examples
@settings(max_examples=300, deadline=None)
@given(wide, narrow)
def test_covers_matches_brute_force(a, b):
    brute = all(matches(a, p) for p in PACKETS if matches(b, p))
    assert covered(_model(b).box, [_model(a).box]) == brute


@pytest.mark.slow  # a property test over many examples
@settings(max_examples=200, deadline=None)
@given(wide)
def test_box_holds_exactly_the_packets_an_entry_matches(a):
    box = _model(a).box
    for packet in PACKETS:
        assert _in_box(_point(packet), box) == matches(a, packet), packet


@pytest.mark.slow  # a property test over many examples
@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(wide, st.sampled_from(["allow", "deny"])), min_size=1, max_size=5), narrow)
def test_shadowing_matches_brute_force(earlier, spec):
    entries = [_model(s, number=10 * (i + 1), action=act) for i, (s, act) in enumerate(earlier)]
    target = _model(spec, number=1000, action="deny")
    acl = Acl(OWNER.uid, OWNER, entries + [target])
    brute = all(any(matches(s, p) for s, _ in earlier) for p in PACKETS if matches(spec, p))
    found = shadowed_by(acl, target)
    assert (found is not None) == brute
    if found:
        assert covered(target.box, [e.box for e in found])


@pytest.mark.slow  # a property test over many examples
@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(wide, st.sampled_from(["allow", "deny"]), st.integers(1, 500)), max_size=6,
                unique_by=lambda t: t[2]), narrow)
def test_first_match_evaluation_matches_brute_force(rules, query):
    entries = [_model(s, number=n, action=act) for s, act, n in rules]
    acl = Acl(OWNER.uid, OWNER, entries)
    outcome = evaluate(acl, False, [_model(query).box])
    assert outcome is not None
    ordered = sorted(rules, key=lambda r: r[2])
    for packet in PACKETS:
        if not matches(query, packet):
            continue
        first = next((act for s, act, _ in ordered if matches(s, packet)), None)
        point = _point(packet)
        assert any(_in_box(point, b) for b in outcome.allowed) == (first == "allow")
        assert any(_in_box(point, b) for b in outcome.denied) == (first == "deny")
        assert any(_in_box(point, b) for b in outcome.unmatched) == (first is None)


def test_evaluation_refuses_to_answer_around_unknown_entries():
    known = _model({"protocol": 6, "cidr": "0.0.0.0/0", "from": 443, "to": 443, "type": -1, "code": -1})
    unknown = _entry(ARCH, OWNER, OWNER.uid, False, {"rule_number": 50, "action": "deny", "protocol": "6",
                                                     "cidr_ipv4": None, "from_port": 443, "to_port": 443}, 1, None, False)
    acl = Acl(OWNER.uid, OWNER, [known, unknown])
    assert evaluate(acl, False, [known.box]) is None  # rule 50 may deny some of it
    udp_only = _model({"protocol": 17, "cidr": "0.0.0.0/0", "from": 53, "to": 53, "type": -1, "code": -1})
    assert evaluate(acl, False, [udp_only.box]) is not None  # rule 50 is TCP whatever its CIDR


# -- entries read from real templates -------------------------------------------------------------


def test_cloudformation_entries_group_by_acl_and_resolve_vpc_cidrs(tmp_path):
    arch = _arch(tmp_path, """
        Resources:
          Vpc:
            Type: AWS::EC2::VPC
            Properties: {CidrBlock: 10.9.0.0/16}
          Acl:
            Type: AWS::EC2::NetworkAcl
            Properties: {VpcId: !Ref Vpc}
          InVpc:
            Type: AWS::EC2::NetworkAclEntry
            Properties: {NetworkAclId: !Ref Acl, RuleNumber: 100, Protocol: 6, RuleAction: allow,
                         CidrBlock: !GetAtt Vpc.CidrBlock, PortRange: {From: 5432, To: 5432}}
          OutAll:
            Type: AWS::EC2::NetworkAclEntry
            Properties: {NetworkAclId: !Ref Acl, RuleNumber: 100, Egress: "true", Protocol: -1, RuleAction: ALLOW,
                         CidrBlock: 0.0.0.0/0}
          Elsewhere:
            Type: AWS::EC2::NetworkAclEntry
            Properties: {NetworkAclId: acl-0abc, RuleNumber: 100, Protocol: -1, RuleAction: deny, CidrBlock: 0.0.0.0/0}
        """)
    acls = {a.key.split("#")[-1]: a for a in acls_of(arch)}
    assert set(acls) == {"Acl", "acl-0abc"}
    acl = acls["Acl"]
    (inbound,) = acl.direction(False)
    (outbound,) = acl.direction(True)
    assert str(inbound.cidr) == "10.9.0.0/16" and inbound.ports == (5432, 5432) and inbound.certain
    assert outbound.action == "allow" and outbound.protocol == -1
    assert acls["acl-0abc"].resource is None
    assert return_gap(acl, inbound) is None  # outbound allow-all returns to the VPC
    assert allows_everything(acl, True) == [outbound] and allows_everything(acl, False) is None


def test_terraform_inline_separate_and_unresolved_dynamic_entries(tmp_path):
    arch = _arch(tmp_path, """
        variable "rules" {
          type = list(any)
        }

        resource "aws_network_acl" "main" {
          vpc_id = "vpc-123"

          ingress {
            rule_no    = 100
            action     = "allow"
            protocol   = "tcp"
            cidr_block = "0.0.0.0/0"
            from_port  = 443
            to_port    = 443
          }

          dynamic "egress" {
            for_each = var.rules
            content {
              rule_no    = egress.value.no
              action     = "allow"
              protocol   = "-1"
              cidr_block = egress.value.cidr
              from_port  = 0
              to_port    = 0
            }
          }
        }

        resource "aws_network_acl_rule" "extra" {
          network_acl_id = aws_network_acl.main.id
          rule_number    = 200
          protocol       = "icmp"
          rule_action    = "allow"
          cidr_block     = "10.0.0.0/8"
          icmp_type      = 8
          icmp_code      = -1
        }
        """, name="m/main.tf")
    (acl,) = acls_of(arch)
    inbound = acl.direction(False)
    assert [(e.number, e.line, e.inline) for e in inbound] == [(100, 9, True), (200, 31, False)]
    assert inbound[1].ports == (8 * 256, 8 * 256 + 255)
    assert not acl.complete(True) and acl.complete(False)
    assert return_gap(acl, inbound[0]) is None  # the egress side is not known: no answer
    assert evaluate(acl, True, [inbound[0].box]) is None


def test_return_gap_names_the_peers_without_a_return_path(tmp_path):
    arch = _arch(tmp_path, """
        Resources:
          Acl:
            Type: AWS::EC2::NetworkAcl
            Properties: {VpcId: vpc-1}
          InSsh:
            Type: AWS::EC2::NetworkAclEntry
            Properties: {NetworkAclId: !Ref Acl, RuleNumber: 100, Protocol: 6, RuleAction: allow,
                         CidrBlock: 10.0.0.0/8, PortRange: {From: 22, To: 22}}
          OutDenyLab:
            Type: AWS::EC2::NetworkAclEntry
            Properties: {NetworkAclId: !Ref Acl, RuleNumber: 90, Egress: true, Protocol: -1, RuleAction: deny,
                         CidrBlock: 10.200.0.0/16}
          OutEphemeral:
            Type: AWS::EC2::NetworkAclEntry
            Properties: {NetworkAclId: !Ref Acl, RuleNumber: 100, Egress: true, Protocol: 6, RuleAction: allow,
                         CidrBlock: 10.0.0.0/9, PortRange: {From: 1024, To: 65535}}
        """)
    (acl,) = acls_of(arch)
    (ssh,) = acl.direction(False)
    gap = return_gap(acl, ssh)
    assert gap is not None and gap.peers == ["10.0.0.0/8"] and gap.reached == ["10.0.0.0/9"]
    assert CLIENT_EPHEMERAL == ((32768, 60999), (49152, 65535))


def test_terraform_icmp_type_and_code_left_out_are_zero_as_the_provider_sends(tmp_path):
    arch = _arch(tmp_path, """
        resource "aws_network_acl" "main" {
          vpc_id = "vpc-123"
        }

        resource "aws_network_acl_rule" "echo_reply" {
          network_acl_id = aws_network_acl.main.id
          rule_number    = 100
          protocol       = "icmp"
          rule_action    = "allow"
          cidr_block     = "0.0.0.0/0"
        }
        """, name="icmp/main.tf")
    (acl,) = acls_of(arch)
    (entry,) = acl.direction(False)
    assert entry.known and entry.ports == (0, 0)  # type 0 (echo reply), code 0
    assert describe_traffic(entry.protocol, entry.ports) == "icmp type 0 code 0"
    cfn = _arch(tmp_path / "cfn", """
        Resources:
          Acl:
            Type: AWS::EC2::NetworkAcl
            Properties: {VpcId: vpc-1}
          Icmp:
            Type: AWS::EC2::NetworkAclEntry
            Properties: {NetworkAclId: !Ref Acl, RuleNumber: 100, Protocol: 1, RuleAction: allow, CidrBlock: 0.0.0.0/0}
        """)
    (cfn_acl,) = acls_of(cfn)
    assert not cfn_acl.direction(False)[0].known  # CloudFormation has no such default: Icmp is required


def test_describe_traffic():
    assert describe_traffic(-1, (0, 65535)) == "all traffic"
    assert describe_traffic(6, (0, 65535)) == "all tcp ports"
    assert describe_traffic(17, (53, 53)) == "udp port 53"
    assert describe_traffic(1, (8 * 256, 8 * 256 + 255)) == "icmp type 8"
    assert describe_traffic(1, (3 * 256 + 4, 3 * 256 + 4)) == "icmp type 3 code 4"
    assert describe_traffic(1, (0, 65535)) == "icmp"
    assert describe_traffic(47, (0, 65535)) == "protocol 47"


def _nacl_findings(tmp_path, text: str, rules: str):
    from ha_lint.engine import all_rules, select

    (tmp_path / "main.tf").write_text(textwrap.dedent(text))
    result = scan(ScanSettings(paths=[str(tmp_path)], jobs=1),
                  [cls() for cls in select(all_rules(), rules.split(","), None)])
    assert result.errors == [] and result.rule_failures == []
    return sorted((f.rule_id, f.line) for f in result.findings)


NACL_WITH_TOGGLE = """
    variable "extra_deny" {
      type = bool
    }

    resource "aws_network_acl" "a" {
      vpc_id = "vpc-1"
      ingress {
        rule_no    = 100
        action     = "allow"
        protocol   = "-1"
        cidr_block = "0.0.0.0/0"
        from_port  = 0
        to_port    = 0
      }
      ingress {
        rule_no    = 200
        action     = "deny"
        protocol   = "tcp"
        cidr_block = "0.0.0.0/0"
        from_port  = 22
        to_port    = 22
      }
      egress {
        rule_no    = 100
        action     = "allow"
        protocol   = "-1"
        cidr_block = "0.0.0.0/0"
        from_port  = 0
        to_port    = 0
      }
      dynamic "ingress" {
        for_each = FOR_EACH
        content {
          rule_no    = 300
          action     = "deny"
          protocol   = "-1"
          cidr_block = ingress.value
          from_port  = 0
          to_port    = 0
        }
      }
    }
"""


@pytest.mark.parametrize("for_each", ['var.extra_deny ? ["198.51.100.0/24"] : []', "[]"])
def test_entries_beside_a_toggled_or_empty_dynamic_block_are_known(tmp_path, for_each: str) -> None:
    found = _nacl_findings(tmp_path, NACL_WITH_TOGGLE.replace("FOR_EACH", for_each), "NS405,NS407")
    assert ("NS405", 16) in found  # deny 22 at 200 can never match behind allow-all at 100
    assert ("NS407", 6) in found  # allow-all first, both ways


def test_an_unknown_dynamic_block_leaves_only_what_the_known_entries_decide(tmp_path) -> None:
    # Rule 200 is behind the allow-all at 100 whatever the block adds; whether the NACL
    # filters nothing depends on entries that are not known.
    found = _nacl_findings(tmp_path, NACL_WITH_TOGGLE.replace("FOR_EACH", "var.unknown_list"), "NS405,NS407")
    assert found == [("NS405", 16)]
