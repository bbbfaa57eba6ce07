from ha_lint.engine import Rule
from ha_lint.queries.nacl import acls_of, entries_of, shadowed_by
from ha_lint.values import when


class NaclRuleShadowed(Rule):
    id = "NS405"
    name = "nacl-rule-shadowed"
    severity = "medium"
    since = "0.1.0"
    summary = "A NACL entry can never match: lower-numbered entries of the same direction cover all its traffic."
    tags = ("security", "network", "nacl")
    docs = """
    ## What it does
    NACL entries are evaluated in ascending rule-number order and the first match decides.
    Flags an entry whose every packet (protocol, port range or ICMP type/code, and CIDR) is
    already matched by lower-numbered entries of the same direction: above all a DENY placed
    after a broader ALLOW, which never blocks anything. An ALLOW behind a broader DENY (dead)
    and an entry behind a broader one of the same action (redundant) are reported too. The
    relation is exact: `-1` is every protocol and port; TCP never covers UDP; ICMP entries
    match by type and code (`-1` is every type / every code); a protocol other than
    TCP/UDP/ICMP matches on all ports; IPv4 entries never cover IPv6 ones; inbound and
    outbound entries are apart; several earlier entries may cover one together. A
    Terraform ICMP entry without `icmp_type` / `icmp_code` is type 0 code 0 (what the
    provider sends). Entries of `AWS::EC2::NetworkAclEntry` / `aws_network_acl_rule` are
    reported on themselves; inline `ingress {}`/`egress {}` blocks of `aws_network_acl` /
    `aws_default_network_acl` on the NACL, at the block's line.

    A DENY placed *before* a broader ALLOW is how NACLs are meant to be used and is not
    reported. Entries with values that cannot be resolved are never reported, and never
    count as covering another.

    ## Why it matters
    "Use SGs to allow, NACLs to deny": a NACL deny is the subnet-wide block for a known-bad
    range or port. Numbered after a broader allow, it does nothing while the template reads
    as if the traffic were blocked, so the protection you planned for during an incident or
    an attack is not there.

    ## Example
    ```yaml
    DenyBadRange:
      Type: AWS::EC2::NetworkAclEntry
      Properties:
        NetworkAclId: !Ref Acl
        RuleNumber: 200   # after rule 100, which allows 0.0.0.0/0
        Protocol: -1
        RuleAction: deny
        CidrBlock: 198.51.100.0/24
    AllowAll:
      Type: AWS::EC2::NetworkAclEntry
      Properties: {NetworkAclId: !Ref Acl, RuleNumber: 100, Protocol: -1, RuleAction: allow, CidrBlock: 0.0.0.0/0}
    Acl:
      Type: AWS::EC2::NetworkAcl
      Properties: {VpcId: !Ref Vpc}
    ```
    ```hcl
    resource "aws_network_acl_rule" "deny_bad_range" {
      network_acl_id = aws_network_acl.public.id
      rule_number    = 200   # after rule 100, which allows 0.0.0.0/0
      protocol       = "-1"
      rule_action    = "deny"
      cidr_block     = "198.51.100.0/24"
    }

    resource "aws_network_acl_rule" "allow_all" {
      network_acl_id = aws_network_acl.public.id
      rule_number    = 100
      protocol       = "-1"
      rule_action    = "allow"
      cidr_block     = "0.0.0.0/0"
    }

    resource "aws_network_acl" "public" {
      vpc_id = aws_vpc.main.id
    }
    ```

    ## Use instead
    ```yaml
        RuleNumber: 50    # before the broader allow
    ```
    ```hcl
      rule_number    = 50  # before the broader allow
    ```

    ## References
    - AWS Well-Architected Security SEC 5 (protect networks)
    - Amazon VPC User Guide: network ACL rules are evaluated in rule-number order
    - Equivalent: none known in Checkov/Trivy/KICS
    """

    def check(self, arch):
        for acl, entry in entries_of(acls_of(arch)):
            covering = shadowed_by(acl, entry)
            if covering is None:
                continue
            actions = {e.action for e in covering}
            if entry.action == "deny" and actions == {"allow"}:
                effect = "so this DENY never blocks anything; give it a lower rule number than the allow"
            elif entry.action == "allow" and actions == {"deny"}:
                effect = "so this ALLOW never lets anything through"
            else:
                effect = "so this entry has no effect; remove or renumber it"
            names = ", ".join(e.describe() for e in covering)
            verb = "matches" if len(covering) == 1 else "together match"
            yield self.finding(
                entry.owner,
                f"{acl.label} {entry.direction} entry {entry.describe()} can never match: {names} {verb} all of its "
                f"traffic first, {effect}{when(entry.branch)}.",
                line=entry.line, detail=f"{entry.direction}:{entry.number}",
            )
