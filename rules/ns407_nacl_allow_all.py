from ha_lint.engine import Rule
from ha_lint.queries.nacl import acls_of, allows_everything
from ha_lint.wording import subject


class NaclAllowAll(Rule):
    id = "NS407"
    name = "nacl-allow-all"
    severity = "low"
    since = "0.1.0"
    summary = "A custom NACL whose first entries allow all traffic from 0.0.0.0/0 in both directions filters nothing."
    tags = ("security", "network", "nacl")
    docs = """
    ## What it does
    Flags a custom NACL (`AWS::EC2::NetworkAcl`, `aws_network_acl`) that, evaluated in
    rule-number order, allows every IPv4 packet in both directions before any DENY can
    match: typically rule 100 `allow -1 0.0.0.0/0` inbound and outbound. The finding points
    at the NACL. The VPC's default NACL (`aws_default_network_acl`) is not reported: allowing
    all is what AWS creates it with.

    A NACL counts when all IPv4 traffic is allowed, however many entries it takes
    (e.g. `allow tcp` + `allow udp` + `allow icmp` ...); a single DENY numbered before the
    allows is filtering, and the NACL is not reported. A NACL with entries that cannot be
    resolved is not judged.

    ## Why it matters
    A custom NACL is the subnet's stateless guard rail: the place to deny a hostile range
    or a port subnet-wide during an incident. One that allows everything only adds a
    resource to maintain and suggests a protection that is not there; either add the denies
    it was meant for, or use the default NACL and rely on security groups.

    ## Example
    ```yaml
    Acl:
      Type: AWS::EC2::NetworkAcl
      Properties: {VpcId: !Ref Vpc}
    InAll:
      Type: AWS::EC2::NetworkAclEntry
      Properties: {NetworkAclId: !Ref Acl, RuleNumber: 100, Protocol: -1, RuleAction: allow, CidrBlock: 0.0.0.0/0}
    OutAll:
      Type: AWS::EC2::NetworkAclEntry
      Properties: {NetworkAclId: !Ref Acl, RuleNumber: 100, Egress: true, Protocol: -1, RuleAction: allow, CidrBlock: 0.0.0.0/0}
    ```
    ```hcl
    resource "aws_network_acl" "app" {
      vpc_id = aws_vpc.main.id
      ingress {
        rule_no    = 100
        action     = "allow"
        protocol   = "-1"
        cidr_block = "0.0.0.0/0"
        from_port  = 0
        to_port    = 0
      }
      egress {
        rule_no    = 100
        action     = "allow"
        protocol   = "-1"
        cidr_block = "0.0.0.0/0"
        from_port  = 0
        to_port    = 0
      }
    }
    ```

    ## Use instead
    ```yaml
    DenyHostile:
      Type: AWS::EC2::NetworkAclEntry
      Properties: {NetworkAclId: !Ref Acl, RuleNumber: 50, Protocol: -1, RuleAction: deny, CidrBlock: 198.51.100.0/24}
    ```
    ```hcl
    resource "aws_network_acl" "app" {
      vpc_id = aws_vpc.main.id
      ingress {
        rule_no    = 50
        action     = "deny"
        protocol   = "-1"
        cidr_block = "198.51.100.0/24"
        from_port  = 0
        to_port    = 0
      }
      ingress {
        rule_no    = 100
        action     = "allow"
        protocol   = "-1"
        cidr_block = "0.0.0.0/0"
        from_port  = 0
        to_port    = 0
      }
      egress {
        rule_no    = 100
        action     = "allow"
        protocol   = "-1"
        cidr_block = "0.0.0.0/0"
        from_port  = 0
        to_port    = 0
      }
    }
    ```

    ## References
    - AWS Well-Architected Security SEC 5 (protect networks: control traffic at all layers)
    - Equivalent: none; Checkov's NACL unrestricted-ingress checks (ports 20, 21, 22, 3389) are related, not equal
    """

    def check(self, arch):
        for acl in acls_of(arch):
            if not acl.is_custom:
                continue
            inbound, outbound = allows_everything(acl, False), allows_everything(acl, True)
            if not inbound or not outbound:
                continue
            first = ", ".join(e.describe() for e in inbound[:2])
            yield self.finding(
                acl.resource,
                f"{subject(acl.resource)} allows all IPv4 traffic in both directions before any deny "
                f"(inbound {first}; outbound {', '.join(e.describe() for e in outbound[:2])}): it filters nothing. "
                "Add the denies it is meant for, or use the default NACL and security groups.",
                detail="allow-all",
            )
