from ha_lint.engine import Rule
from ha_lint.queries.aws import custom_resource_configures
from ha_lint.queries.deletion import is_redis
from ha_lint.values import as_int, when
from ha_lint.wording import property_name, subject


class CacheSnapshotsDisabled(Rule):
    id = "BK207"
    name = "cache-snapshots-disabled"
    severity = "low"
    since = "0.1.0"
    summary = "Redis/Valkey ElastiCache without automatic snapshots: a failed cluster comes back empty."
    tags = ("backup", "rpo", "elasticache")
    docs = """
    ## What it does
    Flags Redis and Valkey `AWS::ElastiCache::ReplicationGroup` /
    `aws_elasticache_replication_group` (engine absent means Redis) and
    `AWS::ElastiCache::CacheCluster` / `aws_elasticache_cluster` whose snapshot retention
    (`SnapshotRetentionLimit`, `snapshot_retention_limit`) is 0 or absent (absent means 0:
    no automatic snapshots). Not flagged: Memcached (it has no snapshots), an engine that
    cannot be resolved, and an `aws_elasticache_cluster` that joins a replication group
    (`replication_group_id`: the group holds the setting). A cache that a
    CloudFormation custom resource references is not flagged either: such a custom
    resource is how templates switch snapshots on outside CloudFormation (a Lambda
    calling `ModifyReplicationGroup`), so the template's value is not the final one.

    ## Why it matters
    When Redis/Valkey holds data that is not merely a cache (sessions, queues,
    leaderboards, rate limits), losing the nodes of a shard, or the whole cluster, loses
    that data; with daily snapshots it can be restored to at most a day old (RPO 24 h),
    without them it cannot be restored at all (REL 9).

    ## Example
    ```yaml
    Sessions:
      Type: AWS::ElastiCache::ReplicationGroup
      Properties:
        ReplicationGroupDescription: sessions
        Engine: redis
    ```
    ```hcl
    resource "aws_elasticache_replication_group" "sessions" {
      replication_group_id = "sessions"
      description          = "sessions"
    }
    ```

    ## Use instead
    ```yaml
        SnapshotRetentionLimit: 7
    ```
    ```hcl
      snapshot_retention_limit = 7
    ```

    ## References
    - AWS Well-Architected Reliability REL 9 (back up data)
    - Amazon ElastiCache User Guide: Scheduling automatic backups
    - Equivalent: Checkov CKV_AWS_134, Trivy AWS-0050 (enable-backup-retention)
    """

    def check(self, arch):
        for cache in arch.of_kind("elasticache_replication_group", "elasticache_cluster"):
            if is_redis(cache) is not True or cache.has("replication_group") or custom_resource_configures(arch, cache):
                continue
            retention = cache.get("snapshot_retention")
            for branch, value in retention.branches():
                if as_int(value) != 0:
                    continue
                yield self.finding(
                    cache,
                    f"{subject(cache)} takes no automatic snapshots: snapshot retention is 0"
                    f"{retention.why()}{when(branch)}. If the nodes are lost the data cannot be restored; "
                    f"set {property_name(cache, 'snapshot_retention')} to at least 1 (day).",
                    prop="snapshot_retention", detail="snapshot_retention", branch=branch,
                )
