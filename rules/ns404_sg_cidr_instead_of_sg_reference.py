from ha_lint.engine import Rule
from ha_lint.queries.reach import datastore_port
from ha_lint.queries.sg import database_ports, describe_ports, rules_of, server_groups, whole_private_range
from ha_lint.values import when
from ha_lint.wording import subject

# On an EC2 instance (which may or may not run a database) only a rule that names a database
# port counts: a single port or a narrow range (27017-27019, 9200-9300), not 1024-65535.
MAX_INSTANCE_SPAN = 101
_OWN_PORT_NAMES = {443: "OpenSearch HTTPS"}


class SgCidrInsteadOfSgReference(Rule):
    id = "NS404"
    name = "sg-cidr-instead-of-sg-reference"
    severity = "low"
    since = "0.1.0"
    summary = "A datastore's security group opens its port to a whole private range instead of the clients' security group."
    tags = ("security", "network", "security-group")
    docs = """
    ## What it does
    Flags an ingress rule of a security group that guards a datastore (RDS and Aurora
    instances and clusters, DocumentDB, Neptune, Redshift, ElastiCache, EFS mount targets,
    OpenSearch domains, or an EC2 instance that may run a database) when it opens a database/cache port (the NS402 list, plus the
    datastore's own port) to a whole private network: the CIDR of a VPC (written, or
    `!GetAtt Vpc.CidrBlock` / `aws_vpc.main.cidr_block`), a range containing one, or a
    private range of /16 or wider (`10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16`,
    `10.1.0.0/16`).

    Narrower ranges (a subnet's /24) are left alone: they name where clients run.
    The security groups checked are those that guard a datastore, or an EC2 instance (which
    may run a database: then only rules that name a database port count, a single port or a
    range of at most 101 ports, not an instance's "allow all" or "1024-65535 from the VPC"),
    in the scanned set. A datastore's own port joins the list (an engine's non-default
    `Port`, 443 for an OpenSearch domain's HTTPS endpoint, 2049 for EFS). Only IPv4 ranges
    are judged (VPC IPv6 blocks are assigned by AWS, not private ranges).

    ## Why it matters
    A VPC-wide rule lets every host in the network reach the database, not just the
    application tier: a compromised build runner, bastion or unrelated service can connect,
    and the rule silently widens as the VPC grows. Referencing the clients' security group
    keeps the allow-list exact as instances come and go (auto scaling, replacement after a
    failure) without touching the rule.

    ## Example
    ```yaml
    DbSgIngress:
      Type: AWS::EC2::SecurityGroupIngress
      Properties:
        GroupId: !Ref DbSg
        IpProtocol: tcp
        FromPort: 5432
        ToPort: 5432
        CidrIp: !GetAtt Vpc.CidrBlock
    Vpc:
      Type: AWS::EC2::VPC
      Properties: {CidrBlock: 10.0.0.0/16}
    DbSg:
      Type: AWS::EC2::SecurityGroup
      Properties: {GroupDescription: database, VpcId: !Ref Vpc}
    Database:
      Type: AWS::RDS::DBInstance
      Properties: {Engine: postgres, DBInstanceClass: db.m6g.large, VPCSecurityGroups: [!Ref DbSg]}
    ```
    ```hcl
    resource "aws_security_group_rule" "db_from_vpc" {
      type              = "ingress"
      security_group_id = aws_security_group.db.id
      protocol          = "tcp"
      from_port         = 5432
      to_port           = 5432
      cidr_blocks       = [aws_vpc.main.cidr_block]
    }

    resource "aws_vpc" "main" {
      cidr_block = "10.0.0.0/16"
    }

    resource "aws_security_group" "db" {
      vpc_id = aws_vpc.main.id
    }

    resource "aws_db_instance" "main" {
      engine                 = "postgres"
      instance_class         = "db.m6g.large"
      vpc_security_group_ids = [aws_security_group.db.id]
    }
    ```

    ## Use instead
    ```yaml
    DbSgIngress:
      Type: AWS::EC2::SecurityGroupIngress
      Properties:
        GroupId: !Ref DbSg
        IpProtocol: tcp
        FromPort: 5432
        ToPort: 5432
        SourceSecurityGroupId: !Ref AppSg   # the application's security group
    ```
    ```hcl
    resource "aws_security_group_rule" "db_from_vpc" {
      type                     = "ingress"
      security_group_id        = aws_security_group.db.id
      protocol                 = "tcp"
      from_port                = 5432
      to_port                  = 5432
      source_security_group_id = aws_security_group.app.id   # the application's security group
    }
    ```

    ## References
    - AWS Well-Architected Security SEC 5 (protect networks: control traffic at all layers)
    - Amazon VPC User Guide: security group rules that reference other security groups
    - Equivalent: none known in Checkov/Trivy/KICS
    """

    def check(self, arch):
        servers = server_groups(arch)
        names = database_ports(arch)
        for rule in rules_of(arch):
            if rule.direction != "ingress" or rule.group is None or rule.group.uid not in servers:
                continue
            guarded = servers[rule.group.uid]
            stores = [s for s in guarded if s.kind != "ec2_instance"]
            if not stores and (rule.all_protocols or (rule.port_span or 0) > MAX_INSTANCE_SPAN):
                continue  # an instance's "allow all / a wide range from the VPC" is not a database rule
            ports = [p for p in sorted(_served_ports(arch, stores, names)) if rule.covers_tcp_port(p)]
            ranges = [r for r in (whole_private_range(arch, rule.owner, c) for c in rule.cidrs) if r]
            if not ports or not ranges:
                continue
            wider = "" if rule.ports is not None and rule.ports[0] == rule.ports[1] else f" ({rule.describe_ports()})"
            # A cluster's group guards its members too: name the cluster, which holds the group.
            shown = next((s for s in stores if s.kind.endswith("cluster")), (stores or guarded)[0])
            yield self.finding(
                rule.owner,
                f"{subject(rule.group)} guards {shown.address} and admits "
                f"{describe_ports(ports, {**names, **_OWN_PORT_NAMES})}{wider} from {'; '.join(ranges)}{rule.why}"
                f"{when(rule.branch)}: every host in that network can connect. Reference the clients' security group "
                "instead of the CIDR.",
                line=rule.line, detail=f"ingress:{rule.describe_ports()}:{','.join(r.split(',')[0] for r in ranges)}",
            )


def _served_ports(arch, stores, names):
    """The ports the guarded datastores serve on when all are known (what the rule really
    opens), else the database/cache port list (EC2 instances, unknown ports)."""
    own = [datastore_port(arch, s) for s in stores]
    if own and all(p is not None for p in own):
        return set(own)
    return set(names) | {p for p in own if p is not None}
