from ha_lint.engine import Rule
from ha_lint.queries.backup import pitr_gaps
from ha_lint.values import as_list, when
from ha_lint.wording import spelled, subject

# The partition key Terraform's S3 backend requires of its state-lock table.
LOCK_KEY = "LockID"


def is_state_lock_table(table):
    """A Terraform state-lock table: its only key is the partition key ``LockID`` (no sort
    key, no other attribute). Its items are locks held for the length of a plan or apply,
    and the lock-file digests Terraform re-creates: there is nothing to restore."""
    if table.source == "cloudformation":
        keys = [k for k in as_list(table.raw("KeySchema")) if isinstance(k, dict)]
        names = [k.get("AttributeName") for k in keys]
        attributes = [a.get("AttributeName") for a in as_list(table.raw("AttributeDefinitions")) if isinstance(a, dict)]
        return len(keys) == len(as_list(table.raw("KeySchema"))) and names == [LOCK_KEY] and attributes == [LOCK_KEY]
    if table.type != "aws_dynamodb_table":
        return False
    attributes = [a.get("name") for a in as_list(table.raw("attribute")) if isinstance(a, dict)]
    return table.raw("hash_key") == LOCK_KEY and table.raw("range_key") is None and attributes in ([], [LOCK_KEY])


def _enable_pitr(table):
    """The fix in the table's own terms; a SAM simple table has no setting for it."""
    if table.type == "AWS::Serverless::SimpleTable":
        return ("a SAM simple table cannot enable it: declare the table as AWS::DynamoDB::Table with "
                "PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}")
    if table.type == "AWS::DynamoDB::GlobalTable":
        return "enable it in each replica's PointInTimeRecoverySpecification"
    return "enable point-in-time recovery (" + spelled(
        table, "PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}",
        "point_in_time_recovery { enabled = true }") + ")"


class DynamodbPitrDisabled(Rule):
    id = "BK205"
    name = "dynamodb-pitr-disabled"
    severity = "medium"
    since = "0.1.0"
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
    (`point_in_time_recovery`, default false). Replicas are checked one by one
    because each is a table of its own Region with its own PITR setting: after a Regional
    failover the surviving replica is the one you restore from.

    Not flagged: a Terraform state-lock table, whose only key is the partition key
    `LockID` (`KeySchema` / `hash_key`, no sort key, no other attribute). It holds the
    locks Terraform takes for the length of a plan or apply: nothing in it needs restoring.

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
            if is_state_lock_table(table):
                continue  # holds only locks: nothing to restore
            for gap in pitr_gaps(table):
                if table.kind == "dynamodb_table_replica":
                    where = f"this replica (in {gap.replica})"
                else:
                    where = f"its replica in {gap.replica}" if gap.replica else "it"
                yield self.finding(
                    table,
                    f"{subject(table)}: point-in-time recovery is off for {where}{gap.why}"
                    f"{when(gap.branch)}. A bad write or delete can only be undone from an older backup, if any; "
                    f"{_enable_pitr(table)}.",
                    line=gap.line,
                    detail="pitr" + (f":replica:{gap.replica}" if gap.replica else ""), branch=gap.branch,
                )
