from ha_lint.engine import Rule
from ha_lint.queries.deletion import owns_backups
from ha_lint.queries.replication import (dynamodb_cross_region, rds_cross_region, replicated_cross_region,
                                         replication_destinations)
from ha_lint.queries.dr import LABELS, declared_strategy, rank
from ha_lint.wording import subject

_RDS_TYPES = ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "aws_db_instance", "aws_rds_cluster")


class DatastoreSingleRegion(Rule):
    id = "DR304"
    name = "datastore-single-region"
    severity = "medium"
    since = "0.1.0"
    summary = "With a pilot-light or stronger DR target, a data store has no live copy in another Region."
    tags = ("dr", "rpo", "multi-region")
    docs = """
    ## What it does
    Only when a DR strategy of pilot light or stronger is declared, flags the data stores
    of the workload that have no live copy in another Region. The declaration is read, most
    specific first, from the template's `Metadata: {ha-lint: {targets: {strategy:
    pilot-light}}}` (CloudFormation), a `dr-strategy` tag (also `ha-lint:dr-strategy`,
    `dr_strategy`, `DRStrategy`) on a resource of the stack or root module (Terraform has no
    template metadata; the strongest tag wins), then `--dr-strategy` or
    `targets: {strategy: ...}` in `.ha-lint.yml`. Flagged:
    - S3 buckets without an enabled replication rule to a bucket in another Region
      (`ReplicationConfiguration`, `replication_configuration`,
      `aws_s3_bucket_replication_configuration`); buckets that receive replication are
      the copies and are not flagged;
    - DynamoDB tables that are not global tables with a replica in another Region
      (`AWS::DynamoDB::GlobalTable` with two or more `Replicas`, `replica {}` blocks,
      `aws_dynamodb_table_replica`);
    - RDS instances and Aurora/RDS clusters without a cross-Region read replica
      (`SourceDBInstanceIdentifier`, `replicate_source_db`, `ReplicationSourceIdentifier`,
      by reference or by ARN) or a global cluster (`GlobalClusterIdentifier`,
      `AWS::RDS::GlobalCluster` / `aws_rds_global_cluster` sourcing it). Read replicas and
      Aurora members are copies or parts, not flagged.
    Without such a target nothing is reported (DR306 covers the single-Region posture).
    A destination whose Region cannot be resolved may be another Region: not flagged.
    A destination under the same provider configuration of the same Terraform module (or
    in the same CloudFormation stack) is in the same Region, whatever that Region is; a
    bucket of another template that receives the replication (found by its ARN's bucket
    name) is the copy and is not flagged in its own template. A read replica whose source
    is an identifier, not an ARN, is in the source's Region (AWS requires the ARN across
    Regions). These are the same answers DR306, DR307 and `ha-lint resilience` read.
    Backup copies to another Region do not count: restoring a backup is the
    backup-and-restore strategy, not pilot light.

    ## Why it matters
    Pilot light, warm standby and multi-site all rely on data that is already in the
    recovery Region, replicated continuously (RPO of seconds to minutes). A data store
    that exists in one Region only must be restored from backups after a Regional outage:
    hours of RTO and an RPO of the last copied backup, which the declared strategy does
    not allow (REL 13).

    ## Example
    ```yaml
    Metadata:
      ha-lint:
        targets: {strategy: warm-standby}
    Resources:
      Orders:
        Type: AWS::DynamoDB::Table
        Properties:
          BillingMode: PAY_PER_REQUEST
          KeySchema: [{AttributeName: id, KeyType: HASH}]
          AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
    ```
    ```hcl
    resource "aws_dynamodb_table" "orders" {
      name     = "orders"
      hash_key = "id"
      tags     = { "dr-strategy" = "warm-standby" }
    }
    ```

    ## Use instead
    ```yaml
    Orders:
      Type: AWS::DynamoDB::GlobalTable
      Properties:
        BillingMode: PAY_PER_REQUEST
        KeySchema: [{AttributeName: id, KeyType: HASH}]
        AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
        StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
        Replicas:
          - Region: eu-west-1
          - Region: eu-central-1
    ```
    ```hcl
    resource "aws_dynamodb_table" "orders" {
      name             = "orders"
      hash_key         = "id"
      stream_enabled   = true
      stream_view_type = "NEW_AND_OLD_IMAGES"
      tags             = { "dr-strategy" = "warm-standby" }
      replica {
        region_name = "eu-central-1"
      }
    }
    ```

    ## References
    - AWS Well-Architected Reliability REL 13 (plan for disaster recovery); whitepaper Disaster Recovery of Workloads on AWS
    - Equivalent: Checkov CKV_AWS_144 (S3 cross-region replication); no equivalent for DynamoDB/RDS
    """

    def check(self, arch):
        copies = None
        by_workload = {}
        for res in arch.resources:
            by_workload.setdefault(res.workload, []).append(res)
        for workload_id, resources in by_workload.items():
            declared = declared_strategy(arch, workload_id, resources)
            if declared is None or rank(declared.strategy) < rank("pilot-light"):
                continue
            if copies is None:
                copies = replication_destinations(arch)
            for res, what, prop in self._single_region(arch, resources, copies):
                yield self.finding(
                    res,
                    f"{subject(res)} has no live copy in another Region ({what}), but the declared DR "
                    f"strategy is {LABELS[declared.strategy]} ({declared.origin}): after a Regional outage it must be "
                    "restored from backups. Replicate it to the recovery Region.",
                    prop=prop, detail="single_region",
                )

    @staticmethod
    def _single_region(arch, resources, copies):
        for res in resources:
            if res.kind == "s3_bucket" and res.uid not in copies:
                if replicated_cross_region(arch, res) is False:
                    yield res, "no cross-Region replication rule", "replication_rules"
            elif res.kind == "dynamodb_table":
                if dynamodb_cross_region(arch, res) is False:
                    yield res, "not a global table with a replica in another Region", "replicas"
            elif res.type in _RDS_TYPES and owns_backups(res) and not res.has("global_cluster"):
                if rds_cross_region(arch, res) is False:
                    yield res, "no cross-Region read replica or global database", None
