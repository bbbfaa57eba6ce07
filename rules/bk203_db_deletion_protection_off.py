from ha_lint.engine import Rule
from ha_lint.queries.deletion import on_branches, own_backup_branches
from ha_lint.values import as_bool, bad_branches, when
from ha_lint.wording import property_name, subject


class DbDeletionProtectionOff(Rule):
    id = "BK203"
    name = "db-deletion-protection-off"
    severity = "low"
    since = "0.1.0"
    summary = "Database without deletion protection: one API call or stack change deletes it."
    tags = ("backup", "rpo", "rds")
    docs = """
    ## What it does
    Flags RDS DB instances and clusters, DocumentDB and Neptune clusters whose deletion
    protection is off or absent (`DeletionProtection`, `deletion_protection`; absent means
    off). Aurora cluster members and `aurora*` instances are not flagged
    (deletion protection is a cluster setting for Aurora), nor read replicas (deleting a
    copy loses no data; their source is what must be protected).

    ## Why it matters
    Without deletion protection a database is deleted by a single `DeleteDBInstance`
    call, a console slip, a stack delete or a template change that replaces it. Even with
    a final snapshot the restore takes from minutes to hours (RTO), and automated backups
    are deleted with the instance unless retained (REL 9).

    ## Example
    ```yaml
    Database:
      Type: AWS::RDS::DBInstance
      Properties:
        Engine: postgres
        DeletionProtection: false
    ```
    ```hcl
    resource "aws_db_instance" "main" {
      engine              = "postgres"
      deletion_protection = false
    }
    ```

    ## Use instead
    ```yaml
        DeletionProtection: true
    ```
    ```hcl
      deletion_protection = true
    ```

    ## References
    - AWS Well-Architected Reliability REL 9 (back up data)
    - Amazon RDS User Guide: Deletion protection
    - Equivalent: Checkov CKV_AWS_293 (DB instance), CKV_AWS_139 (cluster); Trivy AWS-0177
    """

    def check(self, arch):
        for db in arch.of_kind("rds_instance", "rds_cluster"):
            owner = own_backup_branches(db)
            if not owner:
                continue
            protection = db.get("deletion_protection")
            for branch in on_branches(owner, bad_branches(protection.value, lambda v: as_bool(v) is False)):
                yield self.finding(
                    db,
                    f"{subject(db)} has deletion protection off{protection.why()}{when(branch)}: "
                    f"a single delete call or stack change removes it. Set {property_name(db, 'deletion_protection')} "
                    "to true.",
                    prop="deletion_protection", detail="deletion_protection", branch=branch,
                )
