from ha_lint.engine import Rule
from ha_lint.queries.sg import describe_world, rules_of
from ha_lint.values import when


class SgAllTrafficOpen(Rule):
    id = "NS403"
    name = "sg-all-traffic-open"
    severity = "high"
    summary = "Security group admits all protocols or all ports from the whole internet."
    tags = ("security", "network", "security-group")
    docs = """
    ## What it does
    Flags a security-group ingress rule from `0.0.0.0/0` or `::/0` (or any other /0) that
    opens every protocol (`IpProtocol: -1` / `"-1"`, `protocol = "-1"` / `"all"`,
    `ip_protocol = "-1"`) or every TCP or UDP port (`0-65535`, `1-65535`, or `-1` as a
    port). Inline rules of `AWS::EC2::SecurityGroup`, `aws_security_group` and
    `aws_default_security_group` (`dynamic` blocks included) are reported on the security
    group at the rule's line; `AWS::EC2::SecurityGroupIngress`, `aws_security_group_rule`
    and `aws_vpc_security_group_ingress_rule` on themselves.

    Decision: `1-65535` counts as all ports (port 0 is reserved and never used); a rule for
    one other IP protocol (ESP, GRE, ICMP ...) is not "all traffic".

    ## Why it matters
    An all-open security group filters nothing: every service on every instance that uses
    it, including admin and database ports, faces the internet. One vulnerable process is
    enough to lose the instance, and with it the tier's capacity (fault tolerance) and its
    data. Security groups are allow-only: open only the ports the service answers on.

    ## Example
    ```yaml
    WebSg:
      Type: AWS::EC2::SecurityGroup
      Properties:
        GroupDescription: web
        SecurityGroupIngress:
          - IpProtocol: "-1"
            CidrIp: 0.0.0.0/0
    ```
    ```hcl
    resource "aws_security_group_rule" "all" {
      type              = "ingress"
      security_group_id = aws_security_group.web.id
      protocol          = "-1"
      from_port         = 0
      to_port           = 0
      cidr_blocks       = ["0.0.0.0/0"]
    }
    ```

    ## Use instead
    ```yaml
          - IpProtocol: tcp
            FromPort: 443
            ToPort: 443
            CidrIp: 0.0.0.0/0
    ```
    ```hcl
      protocol    = "tcp"
      from_port   = 443
      to_port     = 443
    ```

    ## References
    - AWS Well-Architected Security SEC 5 (protect networks); Reliability REL 11
    - Equivalent: Trivy AWS-0107 (no-public-ingress-sgr); KICS "Security Group With Unrestricted Access To All Ports";
      Prowler ec2_securitygroup_allow_ingress_from_internet_to_all_ports
    """

    def check(self, arch):
        for rule in rules_of(arch):
            world = rule.world_cidrs() if rule.direction == "ingress" else []
            if not world or not rule.every_port:
                continue
            yield self.finding(
                rule.owner,
                f"{rule.owner.address} admits {rule.describe_ports()} from {describe_world(world)}{rule.why}"
                f"{when(rule.branch)}: every service behind it faces the internet. Open only the ports "
                "the service answers on, to the sources that need them.",
                line=rule.line, detail=f"ingress:{rule.describe_ports()}:{','.join(world)}",
            )
