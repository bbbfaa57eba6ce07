from ha_lint.engine import Rule
from ha_lint.queries.reach import public_flags
from ha_lint.values import when
from ha_lint.wording import property_name, subject

_KINDS = ("rds_instance", "rds_cluster_instance", "rds_cluster", "redshift_cluster", "dms_replication_instance")


class DbPubliclyAccessible(Rule):
    id = "NS408"
    name = "db-publicly-accessible"
    severity = "high"
    since = "0.1.0"
    summary = "RDS instance or cluster, Redshift cluster or DMS replication instance publicly accessible (set, or by the API's default)."
    tags = ("security", "network", "rds", "redshift", "dms")
    docs = """
    ## What it does
    Flags `AWS::RDS::DBInstance` / `aws_db_instance` / `aws_rds_cluster_instance`,
    `AWS::Redshift::Cluster` / `aws_redshift_cluster`, `AWS::DMS::ReplicationInstance` /
    `aws_dms_replication_instance`, and Multi-AZ DB clusters (`AWS::RDS::DBCluster` /
    `aws_rds_cluster` with `PubliclyAccessible: true`) whose publicly-accessible setting is
    true, on any reachable branch.

    When the property is absent, each API's default decides (CloudFormation passes the
    API's default on; Terraform sends its own):
    - RDS in CloudFormation: the CreateDBInstance default. A non-Aurora instance with no
      `DBSubnetGroupName` goes to the default VPC and is **public** (the default VPC has an
      internet gateway); with the subnet group `default` it is public too; with any other
      subnet group it is private. Aurora members (`DBClusterIdentifier`) and read replicas
      follow their cluster / source and are not reported when the flag is absent.
    - RDS, Aurora members, DMS in Terraform: absent = false (the provider sends false).
    - Redshift: absent = false (the API's default, and the Terraform provider's from v6;
      provider v5 and older defaulted to true: set it explicitly if you pin an old provider).
    - DMS in CloudFormation: absent = **public** (the DMS API defaults `PubliclyAccessible`
      to true).
    The finding points at the property when it is written, else at the subnet group line
    (`default`) or the resource.

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
        for res in arch.of_kind(*_KINDS):
            for flag in public_flags(arch, res):
                yield self.finding(
                    res,
                    f"{subject(res)} is publicly accessible{flag.why}{when(flag.branch)}: it gets a public IP and "
                    "only its security groups stand between it and the internet. Set "
                    f"{property_name(res, 'publicly_accessible')} to false and reach it from inside the VPC.",
                    line=flag.line, detail="publicly_accessible", branch=flag.branch,
                )
