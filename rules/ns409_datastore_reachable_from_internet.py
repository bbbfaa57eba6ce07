from ha_lint.engine import Rule
from ha_lint.queries.reach import exposures
from ha_lint.queries.sg import join_branches
from ha_lint.values import when
from ha_lint.wording import subject


class DatastoreReachableFromInternet(Rule):
    id = "NS409"
    name = "datastore-reachable-from-internet"
    severity = "high"
    since = "0.1.0"
    summary = "A database has a public address, a route to an internet gateway, and a security group open to the world on its port."
    tags = ("security", "network", "graph")
    docs = """
    ## What it does
    Follows the graph from the internet to each database and reports it when every link
    holds:
    1. a public address: `PubliclyAccessible` / `publicly_accessible` true (RDS instances,
       Aurora members, Multi-AZ DB clusters, Redshift clusters; an absent flag counts as
       NS408 reads the API's default), or for an EC2 instance that serves a database port,
       an associated public IP, an Elastic IP, or a subnet with `MapPublicIpOnLaunch` /
       `map_public_ip_on_launch` (unless the instance opts out);
    2. one of its subnets (the DB/cluster subnet group's, the instance's) has a route table
       that sends `0.0.0.0/0` to an internet gateway;
    3. one of its security groups (its own, or an Aurora member's cluster's) admits
       `0.0.0.0/0` on its port (the `Port` property, else the engine's default: 3306, 5432,
       1521, 1433, 5439 ...), or on every port.
    The message shows the path. An EC2 instance counts as a database when one of its
    security groups opens a database/cache port (the NS402 list) by name, not merely
    through an all-traffic rule.

    A link that depends on an unresolved value breaks the path (no finding). The
    finding points at the property that gives the public address (`PubliclyAccessible`,
    `associate_public_ip_address`, `AssociatePublicIpAddress`), else at the resource.
    DocumentDB has no public endpoint, so it never has link 1; a subnet that maps public
    IPs gives addresses to EC2 instances only, not to databases. The path is IPv4 (the
    public address and the `0.0.0.0/0` route are IPv4), so a rule admitting only `::/0`
    does not complete it (NS401-NS403 still report that rule). Neptune public endpoints
    (instance-level `PubliclyAccessible`, engine 1.4.6+) are not modelled yet.

    ## Why it matters
    This is the complete exposure that NS402 and NS408 each describe one part of: anyone on
    the internet can open a connection to the database. Data theft and ransom (RPO: the
    data is gone or encrypted) and connection floods that take the service down follow.
    Remove any one link (private subnets, `PubliclyAccessible: false`, or a security group
    that admits only the application tier) and the path is closed.

    ## Example
    ```yaml
    Database:
      Type: AWS::RDS::DBInstance
      Properties:
        Engine: postgres
        PubliclyAccessible: true
        DBSubnetGroupName: !Ref PublicSubnetGroup   # subnets routed to the internet gateway
        VPCSecurityGroups: [!Ref DbSg]              # DbSg admits 0.0.0.0/0 on 5432
    ```
    ```hcl
    resource "aws_db_instance" "main" {
      engine                 = "postgres"
      publicly_accessible    = true
      db_subnet_group_name   = aws_db_subnet_group.public.name
      vpc_security_group_ids = [aws_security_group.db_open.id]
    }
    ```

    ## Use instead
    ```yaml
        PubliclyAccessible: false
        DBSubnetGroupName: !Ref PrivateSubnetGroup
        VPCSecurityGroups: [!Ref DbFromAppSg]
    ```
    ```hcl
      publicly_accessible    = false
      db_subnet_group_name   = aws_db_subnet_group.private.name
      vpc_security_group_ids = [aws_security_group.db_from_app.id]
    ```

    ## References
    - AWS Well-Architected Security SEC 5 (protect networks), Reliability REL 11
    - Equivalent: KICS "DB Security Group With Public Scope" (flag plus open group, no routing);
      Checkov CKV_AWS_17 and Trivy no-public-ingress-sgr each cover one link
    """

    def check(self, arch):
        for exp in exposures(arch):
            condition = exp.datastore.meta.get("condition_unknown")
            branch = join_branches(f"condition {condition} true" if condition else None, exp.branch)
            yield self.finding(
                exp.datastore,
                f"{subject(exp.datastore)} is reachable from the internet{when(branch)}: {exp.path()}. "
                "Break a link: keep it in private subnets, turn off its public address, or admit only the "
                "application tier's security group.",
                line=exp.address.line, detail=f"reachable:{exp.subnet.address}",
            )
