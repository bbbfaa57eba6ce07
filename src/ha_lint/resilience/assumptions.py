"""The assumption table behind every RTO/RPO estimate, each figure with its public source.

Times are minutes, as a (typical, worst) pair for recovery time and one figure for the data
lost. ``docs/resilience.md`` lists the table; users override entries in the configuration
file (``assumptions: {rds-multi-az-failover: {rto: 3m, rpo: 0}}``), for example with
figures measured in their own game days.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ha_lint.durations import INFINITE, parse_duration


@dataclass(frozen=True)
class Assumption:
    key: str
    what: str
    rto: tuple[float, float]  # (typical, worst) minutes to recover
    rpo: float  # minutes of data lost (0: none; INFINITE: all of it)
    source: str  # a public AWS page
    note: str = ""  # how the figure is read from the source
    overridden: bool = False

    def with_rpo(self, minutes: float | None) -> "Assumption":
        return self if minutes is None else replace(self, rpo=minutes)


R53 = "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html"
DR_WHITEPAPER = ("https://docs.aws.amazon.com/whitepapers/latest/disaster-recovery-workloads-on-aws/"
                 "disaster-recovery-options-in-the-cloud.html")

_TABLE = (
    Assumption("rds-multi-az-failover", "RDS Multi-AZ DB instance fails over to its standby", (1, 2), 0,
               "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZ.Failover.html",
               "\"Failover times are typically 60-120 seconds\"; synchronous standby: no data lost"),
    Assumption("rds-multi-az-cluster-failover", "RDS Multi-AZ DB cluster fails over to a reader", (0.6, 1), 0,
               "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/multi-az-db-clusters-concepts-failover.html",
               "\"Failover times are typically under 35 seconds\""),
    Assumption("aurora-replica-failover", "Aurora promotes a replica in another AZ", (0.5, 1), 0,
               "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.AuroraHighAvailability.html",
               "service restored in less than 60 seconds, often less than 30; storage is replicated six ways across "
               "three AZs"),
    Assumption("aurora-recreate-writer", "Aurora without replicas re-creates its only instance", (10, 15), 0,
               "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.AuroraHighAvailability.html",
               "without an Aurora Replica, Aurora re-creates the DB instance: typically under 10 minutes"),
    Assumption("rds-restore-from-backup", "restore a single-AZ database from automated backups (PITR)", (60, 240), 5,
               "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIT.html",
               "RDS uploads transaction logs to S3 every 5 minutes (latest restorable time); the restore creates a "
               "new instance: hours for a large database"),
    Assumption("dynamodb-pitr-restore", "restore a DynamoDB table from point-in-time recovery", (60, 240), 5,
               "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PointInTimeRecoveryDescription.html",
               "LatestRestorableDateTime is typically 5 minutes before the current time"),
    Assumption("dynamodb-global-table", "switch to a DynamoDB global table replica in another Region", (1, 5), 0.1,
               "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_monitoring.html",
               "ReplicationLatency, in milliseconds, is the data-loss window: seconds; redirecting the application "
               "is the RTO"),
    Assumption("s3-replication", "switch to the cross-Region replica of an S3 bucket", (1, 15), 15,
               "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-time-control.html",
               "S3 Replication Time Control replicates 99.99% of objects within 15 minutes (most in seconds)"),
    Assumption("rds-cross-region-replica", "promote a cross-Region read replica or Aurora global secondary", (5, 30), 1,
               "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Replication.CrossRegion.Promote.html",
               "promotion \"can take several minutes or longer\"; asynchronous replication: the replica lag "
               "(seconds) is lost"),
    Assumption("elasticache-failover", "ElastiCache promotes a replica in another AZ (Multi-AZ)", (0.5, 2), 0.1,
               "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoFailover.html",
               "AWS publishes no figure: a promotion, far faster than replacing the node; asynchronous replication "
               "loses the last writes"),
    Assumption("elasticache-replace-node", "ElastiCache replaces a node without a replica", (10, 30), INFINITE,
               "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoFailover.html",
               "without Multi-AZ a new primary is created and provisioned; the cache starts empty (or from the last "
               "daily snapshot)"),
    Assumption("ebs-snapshot-restore", "create a volume from the last snapshot in another AZ", (30, 60), 1440,
               "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-restoring-volume.html",
               "data since the last snapshot (daily by default in AWS Backup and DLM) is lost"),
    Assumption("backup-copy-restore", "restore from backup copies in another Region", (240, 1440), 1440,
               "https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html",
               "RPO: the backup plan's frequency (read from the plan when written; daily otherwise); RTO: "
               "restoring every store and redeploying, hours (backup and restore in the DR whitepaper)"),
    Assumption("route53-failover", "Route 53 health check fails and DNS answers with the secondary", (2.5, 3), 0, R53,
               "request interval x failure threshold + TTL: 30 s x 3 + 60 s by default"),
    Assumption("redeploy-compute", "redeploy stateless compute from the templates in another AZ or Region", (30, 120), 0,
               DR_WHITEPAPER, "backup and restore: redeploy infrastructure as code; hours for a whole workload"),
    Assumption("pilot-light-scale-up", "scale up the pilot light's compute and switch traffic", (10, 30), 0,
               DR_WHITEPAPER, "pilot light: data live, compute switched on and scaled out at failover: tens of minutes"),
    Assumption("asg-replace-capacity", "Auto Scaling replaces lost instances in the remaining AZs", (5, 10), 0,
               "https://docs.aws.amazon.com/autoscaling/ec2/userguide/auto-scaling-benefits.html",
               "the group keeps serving on the remaining AZs and launches replacements there"),
    Assumption("no-recovery", "data with no backup and no replica", (INFINITE, INFINITE), INFINITE, DR_WHITEPAPER,
               "nothing to restore from: the data is lost"),
)
DEFAULTS: dict[str, Assumption] = {a.key: a for a in _TABLE}


class AssumptionError(ValueError):
    pass


def table(overrides: dict[str, Any] | None = None) -> dict[str, Assumption]:
    """The table with the configuration's overrides: ``{key: {rto: 5m, rpo: 0}}`` (durations in
    minutes); ``rto`` may be one duration or ``[typical, worst]``."""
    out = dict(DEFAULTS)
    for key, spec in (overrides or {}).items():
        if key not in out:
            raise AssumptionError(f"unknown assumption {key!r}: one of {', '.join(DEFAULTS)}")
        if not isinstance(spec, dict) or not spec or set(spec) - {"rto", "rpo"}:
            raise AssumptionError(f"assumption {key!r}: expected a mapping with rto and/or rpo")
        current = out[key]
        rto, rpo = current.rto, current.rpo
        if "rto" in spec:
            values = spec["rto"] if isinstance(spec["rto"], list) else [spec["rto"], spec["rto"]]
            parsed = [parse_duration(v) for v in values]
            if len(parsed) != 2 or None in parsed:
                raise AssumptionError(f"assumption {key!r}: rto must be a duration or [typical, worst]")
            rto = (float(parsed[0]), float(parsed[1]))  # type: ignore[arg-type]
        if "rpo" in spec:
            parsed_rpo = parse_duration(spec["rpo"])
            if parsed_rpo is None:
                raise AssumptionError(f"assumption {key!r}: rpo must be a duration")
            rpo = parsed_rpo
        out[key] = replace(current, rto=rto, rpo=rpo, overridden=True)
    return out
