from ha_lint.engine import Rule
from ha_lint.queries.lb import INTERNAL_REACH, internal_only, load_balancer_ports
from ha_lint.queries.sg import ADMIN_PORTS, describe_world, rules_of, transfer_servers_only
from ha_lint.values import when
from ha_lint.wording import subject


class SgAdminPortOpen(Rule):
    id = "NS401"
    name = "sg-admin-port-open"
    severity = "high"
    since = "0.1.0"
    summary = "Security group admits SSH (22) or RDP (3389) from the whole internet."
    tags = ("security", "network", "security-group")
    docs = """
    ## What it does
    Flags a security-group ingress rule from `0.0.0.0/0` or `::/0` whose protocol and port
    range cover port 22 or 3389: a single port, a range that includes it, or all
    protocols / all ports (`-1`, `"all"`, protocol number `6`/`17`, ports as strings, `-1`
    as a TCP port). Every way of writing a rule is read: inline ingress on
    `AWS::EC2::SecurityGroup` / `aws_security_group` / `aws_default_security_group`
    (`dynamic "ingress"` blocks included), `AWS::EC2::SecurityGroupIngress` (`GroupId` or
    `GroupName`), `aws_security_group_rule` (type ingress),
    `aws_vpc_security_group_ingress_rule` (`cidr_ipv4` / `cidr_ipv6`, `ip_protocol = "-1"`),
    and the rules a module such as terraform-aws-modules/security-group builds from named
    rules (`ingress_rules = ["ssh-tcp"]` with `ingress_cidr_blocks`). A source that is a
    parameter default, variable or module input is named in the message. Inline rules are
    reported on the security group at the entry's line, separate rule resources on
    themselves at the line of the CIDR they admit (`CidrIp`, `cidr_blocks`, `cidr_ipv4`
    ...; in a module, at the call input that gave it). Security-group references and
    prefix lists are not "the world".

    SSH is TCP, so a UDP rule on port 22 is not reported; RDP answers on TCP and
    UDP 3389, so either is. ICMP and other IP protocols open no admin port.

    When NS403 reports the same entry (all traffic, or every port, from the world), NS401
    is not reported on it: NS403's message names the admin ports the entry exposes. This
    happens after selection and suppression, so with NS403 ignored (`--ignore NS403`, or a
    `--select` without it) or suppressed on that entry, NS401 reports as before. A group
    whose only members are load balancers (ALB/NLB `SecurityGroups`, classic ELB) exposes
    only the ports their listeners serve: a admin port no listener serves is not reported.
    When any other resource uses the group, a listener's port is not known, or a load
    balancer has no listener in the scanned set, every port of the rule counts.

    When those load balancers are all internal (`Scheme: internal`,
    `internal = true`), nothing on the internet can reach them: `0.0.0.0/0` there means any
    network routed into the VPC (the VPC, peerings, VPN, Transit Gateway, Direct Connect).
    The finding is kept, since every such network reaches the port, but at **medium**
    severity, with a message that says so instead of naming the internet. An unknown scheme
    counts as internet-facing. A severity set for the rule in the configuration applies too.

    A group whose only members are AWS Transfer Family servers (`AWS::Transfer::Server`
    / `aws_transfer_server` with a VPC endpoint naming it in `SecurityGroupIds` /
    `security_group_ids`) is not reported: port 22 there is the SFTP service the server
    exists for, open to its partners wherever they are, and the managed endpoint has no
    shell to log in to and nothing on 3389. The same rule on a group an instance also uses
    is reported as usual.

    ## Why it matters
    Administrative ports open to the world are scanned within minutes of launch;
    brute-force and exploit attempts against them are the most common way an instance is
    taken over, and an attacker inside the VPC threatens every tier's availability.
    Security groups are allow-only: reach instances through SSM Session Manager, a
    bastion with a narrow source range, or a VPN instead.

    ## Example
    ```yaml
    AdminSg:
      Type: AWS::EC2::SecurityGroup
      Properties:
        GroupDescription: admin
        SecurityGroupIngress:
          - IpProtocol: tcp
            FromPort: 22
            ToPort: 22
            CidrIp: 0.0.0.0/0
    ```
    ```hcl
    resource "aws_security_group" "admin" {
      ingress {
        from_port   = 22
        to_port     = 22
        protocol    = "tcp"
        cidr_blocks = ["0.0.0.0/0"]
      }
    }
    ```

    ## Use instead
    ```yaml
            CidrIp: 10.20.0.0/16   # the VPN or bastion range
    ```
    ```hcl
        cidr_blocks = ["10.20.0.0/16"]
    ```

    ## References
    - AWS Well-Architected Security SEC 5 (protect networks); CIS AWS Foundations 5.2/5.3
    - Equivalent: Checkov CKV_AWS_24 (22), CKV_AWS_25 (3389); Trivy AWS-0107
    """

    def check(self, arch):
        for rule in rules_of(arch):
            if rule.direction != "ingress":
                continue
            world = rule.world_cidrs()
            if not world:
                continue
            open_ports = [p for p, (_, protocols) in ADMIN_PORTS.items() if rule.opens(p, protocols)]
            if open_ports and rule.group and transfer_servers_only(arch, rule.group):
                continue  # SFTP is the service itself; the managed endpoint has no shell
            served = load_balancer_ports(arch, rule.group) if open_ports and rule.group else None
            if served is not None:  # a load balancer forwards only its listener ports
                open_ports = [p for p in open_ports if p in served]
            if not open_ports:
                continue
            names = " and ".join(f"{ADMIN_PORTS[p][0]} ({p})" for p in open_ports)
            internal = served is not None and internal_only(arch, rule.group)
            yield self.finding(
                rule.owner,
                f"{subject(rule.owner)} admits {names} from {describe_world(world)}{rule.why} ({rule.describe_ports()})"
                f"{f' ({INTERNAL_REACH})' if internal else ''}"
                f"{when(rule.branch)}. Restrict the source to a known range, or use SSM Session Manager instead "
                "of open admin ports.",
                line=rule.line, detail=f"ingress:{rule.describe_ports()}:{','.join(world)}",
                severity="medium" if internal else None,
            )
