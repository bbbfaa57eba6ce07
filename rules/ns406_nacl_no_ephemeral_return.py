from ha_lint.engine import Rule
from ha_lint.queries.nacl import acls_of, entries_of, return_gap


class NaclNoEphemeralReturn(Rule):
    id = "NS406"
    name = "nacl-no-ephemeral-return"
    severity = "medium"
    since = "0.1.0"
    summary = "A NACL allows traffic to a service port but not the return traffic on ephemeral ports 1024-65535."
    tags = ("security", "network", "nacl", "availability")
    docs = """
    ## What it does
    NACLs are stateless: a reply is a new packet, checked against the other direction's
    entries. For every ALLOW entry that opens specific TCP or UDP ports (a service, e.g.
    inbound 443, or outbound 443 to call an API), this rule evaluates the opposite
    direction, first match wins, for the return traffic: the same protocol, ephemeral ports
    1024-65535, to (or from) the entry's CIDR. It flags the entry when that return traffic
    is allowed to none of those peers, or when some of them fall through to the implicit
    deny (no entry names them at all). Peers an explicit DENY blocks are taken as intended.
    IPv4 and IPv6 are apart: an inbound `::/0` service needs an IPv6 return entry.

    A return path must decide every port of one client ephemeral range for a
    peer (the Amazon VPC User Guide's: Linux 32768-60999, Windows Server 2008 and later
    49152-65535; 1024-65535 covers both): a return path on 32768-65535 or 49152-65535 is
    accepted, while one that allows only a few ports in 1024-65535 (an inbound 3389 rule
    taken for the way back of outbound 443) is not. An ALLOW whose range spans one of those
    client ranges is a return-traffic rule itself, not a service. Entries on separate resources are reported on themselves, inline blocks on the
    NACL at the block's line. A NACL with entries that cannot be resolved (unknown values,
    unresolved `dynamic` blocks, entries whose NACL is not known) is not judged.

    ## Why it matters
    Without the return path every connection times out: the service is down for the
    subnets behind the NACL although security groups and instances are healthy, a classic
    cause of failed deployments and failovers into a subnet that was never tested.

    ## Example
    ```yaml
    Acl:
      Type: AWS::EC2::NetworkAcl
      Properties: {VpcId: !Ref Vpc}
    InHttps:
      Type: AWS::EC2::NetworkAclEntry
      Properties: {NetworkAclId: !Ref Acl, RuleNumber: 100, Protocol: 6, RuleAction: allow,
                   CidrBlock: 0.0.0.0/0, PortRange: {From: 443, To: 443}}
    OutHttps:   # replies go to the client's ephemeral port, not to 443
      Type: AWS::EC2::NetworkAclEntry
      Properties: {NetworkAclId: !Ref Acl, RuleNumber: 100, Egress: true, Protocol: 6, RuleAction: allow,
                   CidrBlock: 0.0.0.0/0, PortRange: {From: 443, To: 443}}
    ```
    ```hcl
    resource "aws_network_acl" "public" {
      vpc_id = aws_vpc.main.id
      ingress {
        rule_no    = 100
        action     = "allow"
        protocol   = "tcp"
        cidr_block = "0.0.0.0/0"
        from_port  = 443
        to_port    = 443
      }
    }
    ```

    ## Use instead
    ```yaml
    OutHttps:   # the replies: to the clients' ephemeral ports
      Type: AWS::EC2::NetworkAclEntry
      Properties: {NetworkAclId: !Ref Acl, RuleNumber: 110, Egress: true, Protocol: 6, RuleAction: allow,
                   CidrBlock: 0.0.0.0/0, PortRange: {From: 1024, To: 65535}}
    ```
    ```hcl
      egress {
        rule_no    = 100
        action     = "allow"
        protocol   = "tcp"
        cidr_block = "0.0.0.0/0"
        from_port  = 1024
        to_port    = 65535
      }
    ```

    ## References
    - AWS Well-Architected Reliability REL 11 (withstand component failures); Security SEC 5
    - Amazon VPC User Guide: network ACLs, ephemeral ports
    - Equivalent: none known in Checkov/Trivy/KICS
    """

    def check(self, arch):
        for acl, entry in entries_of(acls_of(arch)):
            gap = return_gap(acl, entry)
            if gap is None:
                continue
            back, way = ("inbound", "from") if entry.egress else ("outbound", "to")
            protocol = "tcp" if entry.protocol == 6 else "udp"
            peers = _shown(gap.peers)
            traffic = f"the return traffic ({protocol} ephemeral ports 1024-65535)"
            if gap.reached:
                lack = f"its {back} entries allow {traffic} only {way} {_shown(gap.reached)}, not the rest of {peers}"
            else:
                lack = f"no {back} entry allows {traffic} {way} {peers}"
            yield self.finding(
                entry.owner,
                f"{acl.label} {entry.direction} entry {entry.describe()} opens a service, but {lack}: NACLs are "
                f"stateless, so those connections time out. Add an {back} ALLOW for {protocol} 1024-65535 {way} {peers}.",
                line=entry.line, detail=f"{entry.direction}:{entry.number}:return",
            )


def _shown(cidrs):
    return ", ".join(cidrs[:3]) + (", ..." if len(cidrs) > 3 else "")
