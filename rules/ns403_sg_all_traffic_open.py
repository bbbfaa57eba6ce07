from ha_lint.engine import Rule
from ha_lint.queries.lb import internal_only, load_balancer_ports
from ha_lint.queries.sg import (ADMIN_PORTS, SgRule, database_ports, database_protocols, describe_ports,
                                 describe_world, rules_of)
from ha_lint.values import when
from ha_lint.wording import subject


class SgAllTrafficOpen(Rule):
    id = "NS403"
    name = "sg-all-traffic-open"
    severity = "high"
    since = "0.1.0"
    summary = "Security group admits all protocols or all ports from the whole internet."
    tags = ("security", "network", "security-group")
    states = ("NS401", "NS402")  # the admin and database ports of its entry are named here
    docs = """
    ## What it does
    Flags a security-group ingress rule from `0.0.0.0/0` or `::/0` (or any other /0) that
    opens every protocol (`IpProtocol: -1` / `"-1"`, `protocol = "-1"` / `"all"`,
    `ip_protocol = "-1"`) or every TCP or UDP port (`0-65535`, `1-65535`, or `-1` as a
    port). Inline rules of `AWS::EC2::SecurityGroup`, `aws_security_group` and
    `aws_default_security_group` (`dynamic` blocks included) are reported on the security
    group at the rule's line; `AWS::EC2::SecurityGroupIngress`, `aws_security_group_rule`
    and `aws_vpc_security_group_ingress_rule` on themselves, at the line of the CIDR they
    admit.

    `1-65535` counts as all ports (port 0 is reserved and never used); a rule for
    one other IP protocol (ESP, GRE, ICMP ...) is not "all traffic".

    The message names the admin (SSH, RDP) and database/cache ports the entry exposes, and
    NS401 and NS402 are not reported on an entry NS403 reports: one entry, one finding. This
    happens after selection and suppression: with NS403 ignored or suppressed on that entry,
    NS401 and NS402 report it as before. When the group's only members are load balancers,
    the message names the listener ports that are actually reachable (and the admin or
    database ports among them).

    When those load balancers are all internal (`Scheme: internal`,
    `internal = true`), nothing on the internet can reach them: `0.0.0.0/0` means any
    network routed into the VPC (the VPC, peerings, VPN, Transit Gateway, Direct Connect),
    and the message says so instead of speaking of the internet. The entry then exposes only
    the listener ports to those networks, usually the load balancer's intended clients: it
    is reported at **low** severity, or **medium** when a listener serves an admin or
    database port. When the load balancers face the internet and no listener serves an
    admin or database port, the entry exposes nothing beyond what the load balancer is for
    (its listeners answer the internet by design): it is reported at **medium** severity,
    because the group still filters nothing for whatever is attached to it next (an
    instance, a new listener); with an admin or database listener it stays **high**. An
    unknown scheme counts as internet-facing. A severity set for NS403 in the configuration
    applies too.

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
            exposure, severity = _exposure(arch, rule)
            yield self.finding(
                rule.owner,
                f"{subject(rule.owner)} admits {rule.describe_ports()} from {describe_world(world)}{rule.why}"
                f"{when(rule.branch)}: {exposure}. Open only the ports the service answers on, "
                "to the sources that need them.",
                line=rule.line, detail=f"ingress:{rule.describe_ports()}:{','.join(world)}",
                severity=severity,
            )


def _exposure(arch, rule: SgRule) -> tuple[str, str | None]:
    """What the entry exposes (the admin and database ports among the reachable ones), and
    the severity that fits when it is not the rule's: behind internal load balancers only,
    low, or medium when a listener serves an admin or database port; behind internet-facing
    load balancers only, medium unless a listener serves an admin or database port."""
    served = load_balancer_ports(arch, rule.group) if rule.group else None
    databases = database_ports(arch)
    admin = [p for p, (_, protocols) in ADMIN_PORTS.items() if rule.opens(p, protocols)]
    data = [p for p in databases if p not in ADMIN_PORTS and rule.opens(p, database_protocols(p))]
    if served is None:
        head = "every service behind it faces the internet"
    else:
        admin, data = [p for p in admin if p in served], [p for p in data if p in served]
        plural = len(served) != 1
        internal = internal_only(arch, rule.group)
        head = (f"its only members are {'internal ' if internal else ''}load balancers, so only their listener "
                f"port{'s' if plural else ''} {', '.join(map(str, sorted(served)))} {'are' if plural else 'is'} "
                f"reachable{', from networks routed into the VPC, not from the internet' if internal else ''}")
    exposed = [" and ".join(f"{ADMIN_PORTS[p][0]} ({p})" for p in admin)] if admin else []
    exposed += [describe_ports(data, databases)] if data else []
    if served is None:
        severity = None
    elif internal:
        severity = "medium" if exposed else "low"
    else:
        severity = None if exposed else "medium"
    return (f"{head}, including {', '.join(exposed)}" if exposed else head), severity
