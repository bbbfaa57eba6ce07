from ha_lint.engine import Rule
from ha_lint.queries.deletion import on_branches, own_backup_branches
from ha_lint.values import as_int, when
from ha_lint.wording import plural, property_name, subject


class DbBackupRetentionShort(Rule):
    id = "BK202"
    name = "db-backup-retention-short"
    severity = "low"
    since = "0.1.0"
    summary = "Database backups kept for less than the configured minimum (default 7 days)."
    tags = ("backup", "rpo", "rds")
    docs = """
    ## What it does
    Flags RDS DB instances and clusters, DocumentDB and Neptune clusters whose backup
    retention is above 0 but below the configured minimum: `--min-backup-retention DAYS`
    or `options: {min-backup-retention-days: N}` in `.ha-lint.yml` (default 7). An absent
    retention is the AWS default of 1 day, and is flagged, in both languages: the Terraform
    provider leaves `aws_db_instance.backup_retention_period` to the RDS API (default 1) and
    defaults it to 1 for `aws_rds_cluster`, `aws_docdb_cluster` and `aws_neptune_cluster`.
    Retention 0 is BK201's.
    Not flagged, as for BK201: Aurora cluster members and `aurora*` instances (retention is
    the cluster's) and read replicas (their source's backups bound the RPO).

    ## Why it matters
    Automated backups bound the RPO at about 5 minutes, but only within the retention
    window: corruption, a bad migration or a deleted table noticed after the window has
    passed (a long weekend is three days) can no longer be undone, and the data is lost
    back to whatever older copy exists (REL 9, back up data).

    ## Example
    ```yaml
    Database:
      Type: AWS::RDS::DBInstance
      Properties:
        Engine: postgres
        BackupRetentionPeriod: 1
    ```
    ```hcl
    resource "aws_db_instance" "main" {
      engine                  = "postgres"
      backup_retention_period = 1
    }
    ```

    ## Use instead
    ```yaml
        BackupRetentionPeriod: 14
    ```
    ```hcl
      backup_retention_period = 14
    ```

    ## References
    - AWS Well-Architected Reliability REL 9 (back up data)
    - Amazon RDS User Guide: Backup retention period
    - Equivalent: Checkov CKV_AWS_133 (retention at least 1 day), Trivy AWS-0077 (rds-specify-backup-retention)
    """

    def check(self, arch):
        minimum = arch.options.min_backup_retention_days
        for db in arch.of_kind("rds_instance", "rds_cluster"):
            owner = own_backup_branches(db)
            if not owner:
                continue
            retention = db.get("backup_retention")
            short = {branch: as_int(value) for branch, value in retention.branches()
                     if isinstance(as_int(value), int) and 0 < as_int(value) < minimum}
            for branch in on_branches(owner, short):
                days = short.get(branch, short.get(None))
                if days is None:
                    continue
                yield self.finding(
                    db,
                    f"{subject(db)} keeps automated backups for {plural(days, 'day')}{retention.why()}{when(branch)}, "
                    f"less than the minimum of {plural(minimum, 'day')}: problems noticed later than that cannot be "
                    f"restored. Set {property_name(db, 'backup_retention')} to at least {minimum}.",
                    prop="backup_retention", detail="backup_retention", branch=branch,
                )
