from ha_lint.engine import Rule
from ha_lint.values import as_bool, bad_branches, when

_NOUNS = {"rds_instance": "RDS instance", "rds_cluster_instance": "Aurora instance",
          "redshift_cluster": "Redshift cluster", "dms_replication_instance": "DMS replication instance"}


class DbPubliclyAccessible(Rule):
    id = "NS408"
    name = "db-publicly-accessible"
    severity = "high"
    summary = "RDS instance, Redshift cluster or DMS replication instance marked publicly accessible."
    tags = ("security", "network", "rds", "redshift", "dms")
    docs = """
    ## What it does
    Flags `AWS::RDS::DBInstance` / `aws_db_instance` / `aws_rds_cluster_instance`,
    `AWS::Redshift::Cluster` / `aws_redshift_cluster` and `AWS::DMS::ReplicationInstance` /
    `aws_dms_replication_instance` whose publicly-accessible setting is true.

    Decision, by each API's default when the property is absent: RDS and Redshift absent =
    not public (Terraform sends false; with a subnet group CloudFormation creates a private
    instance); DMS in CloudFormation absent = **public** (the DMS API defaults
    `PubliclyAccessible` to true), in Terraform absent = false (the provider's default).

    ## Why it matters
    A publicly accessible database gets a public IP and a DNS name that resolves to it from
    anywhere; the security group is then the only barrier between the internet and the data.
    One overly broad rule, now or in a later change, exposes it (see NS409 for a complete
    path). Databases belong in private subnets, reached by the application tier, a bastion
    or a VPN.

    ## Example
    ```yaml
    Database:
      Type: AWS::RDS::DBInstance
      Properties:
        Engine: postgres
        DBInstanceClass: db.t4g.medium
        PubliclyAccessible: true
    ```
    ```hcl
    resource "aws_db_instance" "main" {
      engine              = "postgres"
      instance_class      = "db.t4g.medium"
      publicly_accessible = true
    }
    ```

    ## Use instead
    ```yaml
        PubliclyAccessible: false
    ```
    ```hcl
      publicly_accessible = false
    ```

    ## References
    - AWS Well-Architected Security SEC 5 (protect networks)
    - AWS Security Hub RDS.2, Redshift.1, DMS.1
    - Equivalent: Checkov CKV_AWS_17 (RDS), CKV_AWS_87 (Redshift), CKV_AWS_89 (DMS); Trivy rds-no-public-db-access; AWS Config rds-instance-public-access-check, redshift-cluster-public-access-check, dms-replication-not-public
    """

    def check(self, arch):
        for res in arch.of_kind(*_NOUNS):
            flag = res.get("publicly_accessible")
            why = flag.why() if flag.present else " (not set: the DMS API makes replication instances public by default)"
            for branch in bad_branches(flag.value, lambda v: as_bool(v) is True):
                yield self.finding(
                    res,
                    f"{_NOUNS[res.kind]} {res.address} is publicly accessible{why}{when(branch)}: it gets a "
                    "public IP and only its security groups stand between it and the internet. Set it to false and "
                    "reach it from inside the VPC.",
                    prop="publicly_accessible", detail=f"publicly_accessible{':' + branch if branch else ''}",
                )
