from ha_lint.engine import Rule
from ha_lint.queries.deletion import on_branches, own_backup_branches
from ha_lint.values import as_int, bad_branches, when
from ha_lint.wording import property_name, subject


class DbBackupsDisabled(Rule):
    id = "BK201"
    name = "db-backups-disabled"
    severity = "high"
    since = "0.1.0"
    summary = "Database with automated backups switched off (retention 0): nothing to restore from."
    tags = ("backup", "rpo", "rds")
    docs = """
    ## What it does
    Flags RDS DB instances and clusters, DocumentDB and Neptune clusters whose backup
    retention period is 0 (`BackupRetentionPeriod: 0`, `backup_retention_period = 0`),
    which switches automated backups and point-in-time recovery off. Absent means the
    AWS default of 1 day, which is not flagged here (BK202 flags short retention).
    Not flagged: Aurora cluster members and `aurora*` instances (retention is the
    cluster's) and read replicas
    (a replica is a copy of a source whose own backups bound the RPO; AWS
    creates replicas with backups off by default). A database that is a replica or member
    only on one branch of a condition (`SourceDBInstanceIdentifier: !If [IsReplica, ...,
    !Ref AWS::NoValue]`) is judged on the other branch, named in the message (BK202 and
    BK203 do the same).

    ## Why it matters
    Without automated backups there is no point-in-time restore and no snapshot to
    recover from after corruption, a bad migration or an accidental delete: the RPO is
    unbounded (REL 9, back up data).

    ## Example
    ```yaml
    Database:
      Type: AWS::RDS::DBInstance
      Properties:
        Engine: mysql
        BackupRetentionPeriod: 0
    ```
    ```hcl
    resource "aws_db_instance" "main" {
      engine                  = "mysql"
      backup_retention_period = 0
    }
    ```

    ## Use instead
    ```yaml
        BackupRetentionPeriod: 7
    ```
    ```hcl
      backup_retention_period = 7
    ```

    ## References
    - AWS Well-Architected Reliability REL 9 (back up data)
    - Amazon RDS User Guide: Working with backups
    - Equivalent: Trivy AWS-0077 (rds-specify-backup-retention), Checkov CKV_AWS_133
    """

    def check(self, arch):
        for db in arch.of_kind("rds_instance", "rds_cluster"):
            owner = own_backup_branches(db)
            if not owner:
                continue
            retention = db.get("backup_retention")
            for branch in on_branches(owner, bad_branches(retention.value, lambda v: as_int(v) == 0)):
                yield self.finding(
                    db,
                    f"{subject(db)} has automated backups switched off: backup retention is 0"
                    f"{retention.why()}{when(branch)}. There is no point-in-time restore and no automated "
                    f"snapshot; set {property_name(db, 'backup_retention')} to at least 7 (days).",
                    prop="backup_retention", detail="backup_retention", branch=branch,
                )
