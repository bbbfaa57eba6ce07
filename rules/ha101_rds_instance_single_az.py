from ha_lint.engine import Rule
from ha_lint.queries.rds import is_aurora_instance
from ha_lint.values import as_bool, bad_branches, when
from ha_lint.wording import spelled, subject


# Engines RDS never runs Multi-AZ, with their name (RDS User Guide: Multi-AZ deployments for
# Microsoft SQL Server lists Standard, Enterprise and, with block-level replication, Web).
NO_MULTI_AZ_ENGINES = {"sqlserver-ex": "SQL Server Express Edition"}


class RdsInstanceSingleAz(Rule):
    id = "HA101"
    name = "rds-instance-single-az"
    severity = "high"
    since = "0.1.0"
    summary = "RDS DB instance without Multi-AZ: one Availability Zone outage takes the database down."
    tags = ("availability", "rds")
    docs = """
    ## What it does
    Flags an `AWS::RDS::DBInstance` / `aws_db_instance` whose Multi-AZ setting is off or
    absent (absent means off in CloudFormation and in the Terraform AWS provider).
    Aurora cluster members (`DBClusterIdentifier`, `aws_rds_cluster_instance`) are not
    flagged: the cluster provides their availability (see HA102); neither is an instance
    whose engine is `aurora*` (Multi-AZ does not apply to Aurora instances, so
    such an instance is a cluster member even if the template forgot the cluster). Read replicas
    (`SourceDBInstanceIdentifier`, `replicate_source_db`) are not flagged: they are
    copies, and their source is the instance that must be Multi-AZ.

    RDS for SQL Server Express (`sqlserver-ex`) cannot be Multi-AZ: RDS offers Multi-AZ for
    SQL Server Standard and Enterprise (Always On / mirroring) and Web (block-level
    replication), never Express. Such an instance is still reported, since it is
    a single point of failure, but at **info** severity with a message that says the edition
    cannot be Multi-AZ and names the real choices (move to another edition, or accept a
    single-AZ database with tested restores): choosing Express is a deliberate trade-off,
    and "set Multi-AZ to true" would be a remedy RDS refuses. A severity set for HA101 in
    the configuration applies to these findings too. Web edition (`sqlserver-web`) is
    reported as any other engine.

    ## Why it matters
    A Single-AZ instance is a single point of failure. When its AZ, host or storage
    fails, the database is down until AWS replaces the host or you restore from a backup:
    RTO of tens of minutes to hours, and RPO up to the last transaction-log upload (about
    5 minutes). Multi-AZ keeps a synchronous standby in another AZ and fails over in
    about one to two minutes with no data loss (high availability, REL 10 / REL 11).

    ## Example
    ```yaml
    Database:
      Type: AWS::RDS::DBInstance
      Properties:
        Engine: postgres
        DBInstanceClass: db.m6g.large
        MultiAZ: false
    ```
    ```hcl
    resource "aws_db_instance" "main" {
      engine         = "postgres"
      instance_class = "db.m6g.large"
      multi_az       = false
    }
    ```

    ## Use instead
    ```yaml
        MultiAZ: true
    ```
    ```hcl
      multi_az = true
    ```

    ## References
    - AWS Well-Architected Reliability REL 10 (fault isolation), REL 11 (withstand component failures)
    - Amazon RDS User Guide: Multi-AZ deployments
    - Equivalent: Checkov CKV_AWS_157, AWS Security Hub RDS.5, AWS Config rds-multi-az-support (Trivy has no
      Multi-AZ check: its AWS-0176 is IAM database authentication)
    """

    def check(self, arch):
        for db in arch.of_kind("rds_instance"):
            if db.has("cluster") or db.has("replica_source") or is_aurora_instance(db):
                continue
            multi_az = db.get("multi_az")
            engine = db.get("engine").value
            for branch in bad_branches(multi_az.value, lambda v: as_bool(v) is False):
                if isinstance(engine, str) and engine.lower() in NO_MULTI_AZ_ENGINES:
                    yield self.finding(
                        db,
                        f"{subject(db)} runs in a single Availability Zone: its engine {engine} "
                        f"({NO_MULTI_AZ_ENGINES[engine.lower()]}) cannot be Multi-AZ{when(branch)}. An AZ or host "
                        "failure takes the database down until it is replaced or restored; move to the Standard, "
                        "Enterprise or Web edition for a standby in another AZ, or accept a single-AZ database "
                        "and test restoring it.",
                        prop="engine", detail="multi_az", branch=branch,
                        severity="info",
                    )
                    continue
                yield self.finding(
                    db,
                    f"{subject(db)} runs in a single Availability Zone: Multi-AZ is off"
                    f"{multi_az.why()}{when(branch)}. An AZ or host failure takes the database down "
                    f"until it is replaced or restored; set {spelled(db, '`MultiAZ: true`', '`multi_az = true`')} "
                    "for a standby in another AZ.",
                    prop="multi_az", detail="multi_az", branch=branch,
                )
