from ha_lint.engine import Rule
from ha_lint.queries.az import azs_spanned
from ha_lint.values import when
from ha_lint.wording import subject


class SubnetGroupSingleAz(Rule):
    id = "HA103"
    name = "subnet-group-single-az"
    severity = "high"
    since = "0.1.0"
    summary = "DB or cache subnet group whose subnets are all in one Availability Zone: no AZ to fail over to."
    tags = ("availability", "rds", "elasticache")
    docs = """
    ## What it does
    Flags `AWS::RDS::DBSubnetGroup`, `AWS::ElastiCache::SubnetGroup`, `aws_db_subnet_group`
    and `aws_elasticache_subnet_group` whose subnets resolve to fewer than two distinct AZs:
    exactly one subnet, or several subnets all in the same known AZ. Subnets whose AZ cannot
    be resolved (IDs from parameters, module outputs) count as unknown and are not reported,
    unless there is only one of them.

    ## Why it matters
    RDS Multi-AZ, Aurora replicas and ElastiCache replicas are placed in the subnets of the
    group. With one AZ in the group there is nowhere to put a standby, so a Multi-AZ setting
    cannot protect against an AZ failure (RDS rejects such groups; ElastiCache accepts them
    and places every node in that AZ) (REL 10, fault isolation).

    ## Example
    ```yaml
    DbSubnets:
      Type: AWS::RDS::DBSubnetGroup
      Properties:
        DBSubnetGroupDescription: database subnets
        SubnetIds: [!Ref DataSubnetA]
    ```
    ```hcl
    resource "aws_db_subnet_group" "db" {
      subnet_ids = [aws_subnet.data_a.id]
    }
    ```

    ## Use instead
    ```yaml
        SubnetIds: [!Ref DataSubnetA, !Ref DataSubnetB]
    ```
    ```hcl
      subnet_ids = [aws_subnet.data_a.id, aws_subnet.data_b.id]
    ```

    ## References
    - AWS Well-Architected Reliability REL 10 (use fault isolation: deploy to multiple locations)
    - Amazon RDS User Guide: Working with DB subnet groups
    - Equivalent: none known in Checkov/Trivy/KICS (they check the database, not its subnet group)
    """

    def check(self, arch):
        for group in arch.of_kind("subnet_group"):
            for span in azs_spanned(arch, group):
                if span.single_az:
                    yield self.finding(
                        group,
                        f"{subject(group)} has {span.describe()}{when(span.branch)}: databases and "
                        "caches placed through it cannot keep a standby or replica in another Availability Zone. "
                        "Add subnets in at least two AZs.",
                        line=group.line_of(span.prop), detail=span.detail,
                    )
