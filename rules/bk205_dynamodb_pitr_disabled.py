from ha_lint.engine import Rule
from ha_lint.queries.backup import pitr_gaps
from ha_lint.values import when


class DynamodbPitrDisabled(Rule):
    id = "BK205"
    name = "dynamodb-pitr-disabled"
    severity = "medium"
    summary = "DynamoDB table without point-in-time recovery: no restore to a moment before a bad write."
    tags = ("backup", "rpo", "dynamodb")
    docs = """
    ## What it does
    Flags `AWS::DynamoDB::Table` (and SAM's `AWS::Serverless::SimpleTable`) and
    `aws_dynamodb_table` whose point-in-time recovery is off or absent
    (`PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled`,
    `point_in_time_recovery { enabled }`; absent means off), and each replica of a global
    table that does not enable it: every `Replicas` entry of `AWS::DynamoDB::GlobalTable`,
    every `replica {}` block of `aws_dynamodb_table` and every `aws_dynamodb_table_replica`
    (`point_in_time_recovery`, default false). Decision: replicas are checked one by one
    because each is a table of its own Region with its own PITR setting: after a Regional
    failover the surviving replica is the one you restore from.

    ## Why it matters
    Point-in-time recovery keeps continuous backups for up to 35 days and restores the
    table to any second in that window: an RPO of about 5 minutes against a bad deploy,
    a runaway script or a deleted item. Without it, the last on-demand or AWS Backup
    backup (if any) is the restore point (REL 9).

    ## Example
    ```yaml
    Orders:
      Type: AWS::DynamoDB::Table
      Properties:
        BillingMode: PAY_PER_REQUEST
    ```
    ```hcl
    resource "aws_dynamodb_table" "orders" {
      name     = "orders"
      hash_key = "id"
    }
    ```

    ## Use instead
    ```yaml
        PointInTimeRecoverySpecification:
          PointInTimeRecoveryEnabled: true
    ```
    ```hcl
      point_in_time_recovery {
        enabled = true
      }
    ```

    ## References
    - AWS Well-Architected Reliability REL 9 (back up data)
    - Amazon DynamoDB Developer Guide: Point-in-time recovery
    - Equivalent: Checkov CKV_AWS_28, Trivy AWS-0024 (enable-recovery)
    """

    def check(self, arch):
        for table in arch.of_kind("dynamodb_table", "dynamodb_table_replica"):
            for gap in pitr_gaps(table):
                if table.kind == "dynamodb_table_replica":
                    what, where = "DynamoDB global table replica", f"this replica (in {gap.replica})"
                else:
                    what, where = "DynamoDB table", f"its replica in {gap.replica}" if gap.replica else "it"
                yield self.finding(
                    table,
                    f"{what} {table.address}: point-in-time recovery is off for {where}{gap.why}"
                    f"{when(gap.branch)}. A bad write or delete can only be undone from an older backup, if any; "
                    "enable point-in-time recovery.",
                    line=gap.line,
                    detail="pitr" + (f":replica:{gap.replica}" if gap.replica else "") + (f":{gap.branch}" if gap.branch else ""),
                )
