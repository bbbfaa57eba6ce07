from ha_lint.engine import Rule
from ha_lint.queries.backup import backup_coverage, pitr_gaps, selections
from ha_lint.queries.deletion import deletion_exposures
from ha_lint.values import when
from ha_lint.wording import subject

_KINDS = ("rds_instance", "rds_cluster", "redshift_cluster", "ebs_volume", "dynamodb_table", "efs_file_system",
          "elasticache_replication_group", "elasticache_cluster")


class DatastoreDeletedWithoutSnapshot(Rule):
    id = "BK204"
    name = "datastore-deleted-without-snapshot"
    severity = "medium"
    since = "0.1.0"
    summary = "A stack delete, replacement or destroy removes a data store and keeps no copy of it."
    tags = ("backup", "rpo")
    docs = """
    ## What it does
    CloudFormation: flags RDS DB instances (not Aurora members: `DBClusterIdentifier`) and
    clusters, DocumentDB and Neptune clusters, Redshift clusters, EBS volumes, DynamoDB
    tables (SAM `SimpleTable` too) and global tables, EFS file systems and Redis/Valkey ElastiCache replication
    groups and clusters whose `DeletionPolicy` is `Delete`. An absent `DeletionPolicy`
    counts as CloudFormation's default: `Snapshot` for `AWS::RDS::DBCluster` and for
    `AWS::RDS::DBInstance` without `DBClusterIdentifier`, `Delete` for every other type
    here. An explicit `UpdateReplacePolicy: Delete` on the same types is flagged too (a
    property change that replaces the resource deletes the old one).
    Terraform: flags `aws_db_instance`, `aws_rds_cluster`, `aws_docdb_cluster`,
    `aws_neptune_cluster` and `aws_redshift_cluster` with `skip_final_snapshot = true`.

    Read replicas and Aurora members are not flagged (their data lives in the
    source or cluster). `Retain`, `RetainExceptOnCreate` and `Snapshot` keep a copy.
    `Snapshot` on a type that cannot snapshot (DynamoDB, EFS) is a template error that
    cfn-lint reports (E3035), not flagged here. A policy written as an intrinsic function
    (`!If [IsProd, Retain, Delete]`, `!Ref Policy`: `AWS::LanguageExtensions`) is resolved
    like a property: a parameter's default, a known condition, and each branch of an unknown
    one, named in the message.
    A data store an AWS Backup plan selects (by reference, by an ARN built around it such
    as `!Sub arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:db:${Db}` or
    `"arn:aws:dynamodb:...:table/${aws_dynamodb_table.t.name}"`, by a literal ARN naming it,
    or by tag), an EBS volume a DLM policy snapshots, and an EFS file system with automatic
    backups (written, or a One Zone file system's default) are not flagged: their recovery points stay in the vault (or the snapshots stay)
    after the resource is deleted. The exception is a plan whose every vault is a Terraform
    `aws_backup_vault` with `force_destroy = true`: a destroy empties it. Backup evidence is
    the same query BK208, the DR posture and `ha-lint resilience` use; a selection that may
    select the resource (a tag or a resource list the templates do not decide) counts.
    A DynamoDB table (or global table, every replica) with point-in-time recovery enabled
    is not flagged either: deleting it makes a system backup (`<table>$DeletedTableBackup`)
    that DynamoDB keeps for 35 days, from which the table can be restored as it was just
    before the delete. A table whose recovery is off on some branch of a condition, or that
    does not set it (off by default), is flagged; one whose setting is unknown (a parameter
    without a default) is not.
    Deletion protection does not exempt a
    resource: it blocks the delete, but once it is lifted (often outside the template) the
    delete proceeds with no copy. The finding points at the `DeletionPolicy: Delete` /
    `UpdateReplacePolicy: Delete` line when the policy is written, else at the resource's
    first line; in Terraform at `skip_final_snapshot`. Terraform has no per-resource
    equivalent for the other types (`lifecycle { prevent_destroy }` blocks a destroy but
    keeps no copy), so only the final-snapshot types are checked there.

    ## Why it matters
    Deleting a stack, removing a resource from a template, or a property change that forces
    a replacement deletes the data store with all its data; automated backups of RDS are
    deleted with it. Without a final snapshot or a retained resource the RPO of that event
    is "everything" (REL 9).

    ## Example
    ```yaml
    Orders:
      Type: AWS::DynamoDB::Table
      Properties:
        BillingMode: PAY_PER_REQUEST
    Database:
      Type: AWS::RDS::DBInstance
      DeletionPolicy: Delete
      Properties:
        Engine: postgres
    ```
    ```hcl
    resource "aws_db_instance" "main" {
      engine              = "postgres"
      skip_final_snapshot = true
    }
    ```

    ## Use instead
    ```yaml
    Orders:
      Type: AWS::DynamoDB::Table
      DeletionPolicy: Retain
      UpdateReplacePolicy: Retain
    Database:
      Type: AWS::RDS::DBInstance
      DeletionPolicy: Snapshot
      UpdateReplacePolicy: Snapshot
    ```
    ```hcl
    resource "aws_db_instance" "main" {
      engine                    = "postgres"
      skip_final_snapshot       = false
      final_snapshot_identifier = "main-final"
    }
    ```

    ## References
    - AWS Well-Architected Reliability REL 9 (back up data)
    - AWS CloudFormation User Guide: DeletionPolicy and UpdateReplacePolicy attributes
    - Equivalent: cfn-lint I3011 (stateful resources without UpdateReplacePolicy/DeletionPolicy) and W3011 (both policies needed)
    """

    def check(self, arch):
        sels = None
        for res in arch.of_kind(*_KINDS):
            exposures = deletion_exposures(res)
            if not exposures:
                continue
            sels = selections(arch) if sels is None else sels
            if backup_coverage(arch, res, sels).kept is not False:
                continue  # AWS Backup (or DLM, EFS automatic backups) keeps a copy the delete does not remove
            pitr = ""
            if res.kind == "dynamodb_table":
                gaps = pitr_gaps(res)
                if not gaps:
                    continue  # deleting a table with PITR on leaves a 35-day system backup
                gap = gaps[0]
                pitr = (", with point-in-time recovery off" + (f" for its replica in {gap.replica}" if gap.replica else "")
                        + gap.why + when(gap.branch) + ", so no system backup outlives the delete")
            for exposure in exposures:
                yield self.finding(
                    res,
                    f"{subject(res)} is deleted with no copy: {exposure.text}{pitr}. "
                    + ("Set DeletionPolicy and UpdateReplacePolicy to Retain"
                       + ("." if res.type == "AWS::Serverless::SimpleTable" else ", or enable point-in-time recovery.")
                       if pitr else
                       "Set DeletionPolicy and UpdateReplacePolicy to Snapshot (where supported) or Retain."
                       if res.source == "cloudformation" else
                       "Set skip_final_snapshot = false with a final_snapshot_identifier."),
                    line=exposure.line, detail=exposure.detail,
                )
