from ha_lint.engine import Rule
from ha_lint.queries.lb import INTERNAL_REACH, internal_only, load_balancer_ports
from ha_lint.queries.sg import database_ports, database_protocols, describe_ports, describe_world, rules_of
from ha_lint.values import when
from ha_lint.wording import subject


class SgDatabasePortOpen(Rule):
    id = "NS402"
    name = "sg-database-port-open"
    severity = "high"
    since = "0.1.0"
    summary = "Security group admits a database or cache port from the whole internet."
    tags = ("security", "network", "security-group")
    docs = """
    ## What it does
    Flags a security-group ingress rule from `0.0.0.0/0` or `::/0` whose protocol and port
    range cover a database or cache port: 3306 (MySQL/MariaDB/Aurora MySQL), 5432
    (PostgreSQL), 1433 (SQL Server), 1521 (Oracle), 27017 (MongoDB/DocumentDB), 6379
    (Redis/Valkey), 11211 (Memcached), 9200 (Elasticsearch/OpenSearch), 5439 (Redshift),
    9042 (Cassandra/Keyspaces), 2049 (NFS/EFS). A single port, a range that includes one, or
    all traffic (`-1`) all count. Every way of writing a rule is read: inline ingress on
    `AWS::EC2::SecurityGroup` / `aws_security_group` / `aws_default_security_group`
    (`dynamic` blocks included), `AWS::EC2::SecurityGroupIngress` (`GroupId` or
    `GroupName`), `aws_security_group_rule` (type ingress),
    `aws_vpc_security_group_ingress_rule`. The finding is reported on the resource that
    holds the rule: an inline entry at its line, a separate rule resource at the line of
    the CIDR it admits (in a module, at the call input that gave it). The port list can be
    replaced with the `database_ports` option.

    The database protocols are TCP, so a UDP rule counts only on the ports whose
    service also answers on UDP: Memcached (11211, a well-known DDoS amplification vector
    when open) and NFS (2049). A UDP rule on 5432 opens no PostgreSQL service and is not
    reported. Terraform module rules built from named rules (terraform-aws-modules/
    security-group `ingress_rules = ["postgresql-tcp"]` with `ingress_cidr_blocks`) are read
    through the module.

    When NS403 reports the same entry (all traffic, or every port, from the world), NS402
    is not reported on it: NS403's message names the database ports the entry exposes. This
    happens after selection and suppression, so with NS403 ignored (`--ignore NS403`, or a
    `--select` without it) or suppressed on that entry, NS402 reports as before. A group
    whose only members are load balancers (ALB/NLB `SecurityGroups`, classic ELB) exposes
    only the ports their listeners serve: a database port no listener serves is not reported.
    When any other resource uses the group, a listener's port is not known, or a load
    balancer has no listener in the scanned set, every port of the rule counts.

    When those load balancers are all internal (`Scheme: internal`,
    `internal = true`), nothing on the internet can reach them: `0.0.0.0/0` there means any
    network routed into the VPC (the VPC, peerings, VPN, Transit Gateway, Direct Connect).
    The finding is kept, since every such network reaches the port, but at **medium**
    severity, with a message that says so instead of naming the internet. An unknown scheme
    counts as internet-facing. A severity set for the rule in the configuration applies too.

    ## Why it matters
    A datastore port open to the internet is found by scanners within minutes: credential
    stuffing, exploits against the engine, and ransom of the data follow. Besides the data
    loss (RPO) it is an availability risk: connection floods exhaust the database's
    connections and take the application down. Security groups are allow-only: let in the
    application tier's security group, not the world.

    ## Example
    ```yaml
    DbSg:
      Type: AWS::EC2::SecurityGroup
      Properties:
        GroupDescription: database
        SecurityGroupIngress:
          - IpProtocol: tcp
            FromPort: 5432
            ToPort: 5432
            CidrIp: 0.0.0.0/0
    ```
    ```hcl
    resource "aws_security_group" "db" {
      ingress {
        from_port   = 5432
        to_port     = 5432
        protocol    = "tcp"
        cidr_blocks = ["0.0.0.0/0"]
      }
    }
    ```

    ## Use instead
    ```yaml
          - IpProtocol: tcp
            FromPort: 5432
            ToPort: 5432
            SourceSecurityGroupId: !Ref AppSg
    ```
    ```hcl
      ingress {
        from_port       = 5432
        to_port         = 5432
        protocol        = "tcp"
        security_groups = [aws_security_group.app.id]
      }
    ```

    ## References
    - AWS Well-Architected Security SEC 5 (protect networks); Reliability REL 11 (withstand component failures)
    - AWS Security Hub EC2.19 (security groups should not allow unrestricted access to high-risk ports)
    - Equivalent: Trivy AWS-0107 (no-public-ingress-sgr, any port); KICS "DB Security Group With Public Scope";
      Prowler ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_mysql_3306 (and the other database ports)
    """

    def check(self, arch):
        names = database_ports(arch)
        for rule in rules_of(arch):
            world = rule.world_cidrs() if rule.direction == "ingress" else []
            ports = [p for p in names if rule.opens(p, database_protocols(p))] if world else []
            served = load_balancer_ports(arch, rule.group) if ports and rule.group else None
            if served is not None:  # a load balancer forwards only its listener ports
                ports = [p for p in ports if p in served]
            if not ports:
                continue
            internal = served is not None and internal_only(arch, rule.group)
            yield self.finding(
                rule.owner,
                f"{subject(rule.owner)} admits {describe_ports(ports, names)} from {describe_world(world)}"
                f"{rule.why} ({rule.describe_ports()}){f' ({INTERNAL_REACH})' if internal else ''}{when(rule.branch)}. "
                "Allow the application tier's security group (or a narrow private range) instead of "
                f"{'every network routed into the VPC' if internal else 'the whole internet'}.",
                line=rule.line, detail=f"ingress:{rule.describe_ports()}:{','.join(world)}",
                severity="medium" if internal else None,
            )
