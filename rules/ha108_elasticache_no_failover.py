from ha_lint.engine import Rule
from ha_lint.queries.replication import elasticache_cross_region
from ha_lint.queries.az import condition_unknown, count_unknown
from ha_lint.values import UNKNOWN, Choice, Ref, as_bool, as_int, bad_branches, possibilities, when
from ha_lint.wording import subject


def _nodes_per_shard(rg):
    """(nodes in the smallest shard or UNKNOWN, the neutral property that decides it)."""
    if rg.has("primary_cluster") or rg.has("global_replication_group"):
        return UNKNOWN, None  # built from an existing cluster / a global datastore member
    groups = rg.get("node_group_configuration").value
    if isinstance(groups, list) and groups:
        counts = [as_int(g.get("ReplicaCount", g.get("replica_count", UNKNOWN))) if isinstance(g, dict) else UNKNOWN
                  for g in groups]
        return (UNKNOWN if UNKNOWN in counts else 1 + min(counts)), "node_group_configuration"
    for name in ("replicas_per_node_group", "cluster_mode_block"):
        if rg.has(name):
            value = rg.get(name).value
            if name == "cluster_mode_block":
                if isinstance(value, str):
                    continue  # provider v5+: cluster_mode = "enabled" | "disabled" | "compatible"
                value = value[0].get("replicas_per_node_group", UNKNOWN) if isinstance(value, list) and value and \
                    isinstance(value[0], dict) else UNKNOWN
            replicas = as_int(value)
            return (UNKNOWN if replicas is UNKNOWN else replicas + 1), name
    if rg.has("num_node_groups"):
        return UNKNOWN, None  # cluster mode with the API's replica default
    for name in ("num_cache_clusters", "num_cache_clusters_legacy"):
        if rg.has(name):
            return rg.get(name).value, name
    azs = rg.get("preferred_cache_cluster_azs").value
    if azs is UNKNOWN or (isinstance(azs, list) and azs):  # one node per listed AZ
        return (len(azs) if isinstance(azs, list) else UNKNOWN), "preferred_cache_cluster_azs"
    return 1, None  # NumCacheClusters absent: one node


def _replicas_hold_data(nodes):
    """True when every shard has a replica on every branch (the replicas keep the data when the
    primary fails), False when a branch has a single-node shard, else UNKNOWN."""
    counts = [as_int(v) for _, v in possibilities(nodes)]
    if any(isinstance(n, int) and n < 2 for n in counts):
        return False
    return True if counts and all(isinstance(n, int) for n in counts) else UNKNOWN


def _consequence(arch, rg, replicated):
    """What a failure of the primary's node or AZ costs, and the severity that fits it: a
    member of a Global Datastore with another Region keeps its data there (promoting that
    Region is a manual step, so the in-Region outage remains); a shard with replicas keeps its
    data on them (ElastiCache replicates asynchronously: only the replication lag is lost),
    but without automatic failover writes stop until a replica is promoted."""
    cross_region = elasticache_cross_region(arch, rg)
    if cross_region is True:
        return ("the cache is down in this Region until a node is rebuilt or another Region of its Global "
                "Datastore is promoted; the data survives in that Region (up to its replication lag)"), "medium"
    if replicated is True:
        return ("writes stop until a replica is promoted or the primary is replaced; its replicas keep the data "
                "(up to their replication lag)"), None
    retention = as_int(rg.get("snapshot_retention").value)
    if cross_region is UNKNOWN:
        lost = "its data is lost unless another Region of its Global Datastore holds it"
    elif retention == 0:
        lost = "its data is lost (it keeps no snapshots)"
    elif isinstance(retention, int):
        lost = "data written since the last snapshot is lost"
    else:
        lost = "data written since the last snapshot (if any) is lost"
    if replicated is UNKNOWN and cross_region is not UNKNOWN:
        lost += " unless a replica holds it"
    return f"the cache is down and {lost}", None


def _replicas_index(arch):
    """Cache clusters that join a replication group, by the group's literal ID (lowercase),
    and the workloads where one joins a group that did not resolve."""
    by_name, unresolved = {}, set()
    for cluster in arch.of_kind("elasticache_cluster"):
        if not cluster.has("replication_group"):
            continue
        value = cluster.get("replication_group").value
        if isinstance(value, str):
            by_name.setdefault(value.lower(), []).append(cluster)
        elif not isinstance(value, Ref):
            unresolved.add(cluster.workload)
    return by_name, unresolved


def _replica_clusters(arch, rg):
    """Cache clusters that join ``rg`` as read replicas (``aws_elasticache_cluster`` with
    ``replication_group_id``): their number, or UNKNOWN when one may join that cannot be resolved."""
    name = rg.get("identifier").value
    by_name, unresolved = arch.derived("elasticache clusters by replication group", lambda: _replicas_index(arch))
    if rg.workload in unresolved:
        return UNKNOWN  # a cluster of the workload joins a group that did not resolve: it may be this one
    found = 0
    candidates = [c for c in arch.referencing(rg, "elasticache_cluster")
                  if isinstance(c.get("replication_group").value, Ref)
                  and arch.resolve_ref(c, c.get("replication_group").value) is rg]
    candidates += by_name.get(name.lower(), []) if isinstance(name, str) else []
    for cluster in candidates:
        if count_unknown(cluster) or condition_unknown(cluster):
            return UNKNOWN
        found += 1
    return found


class ElasticacheNoFailover(Rule):
    id = "HA108"
    name = "elasticache-no-failover"
    severity = "high"
    since = "0.1.0"
    summary = "Redis/Valkey without automatic failover, Multi-AZ or a replica per shard: a node or AZ failure loses the cache."
    tags = ("availability", "elasticache")
    docs = """
    ## What it does
    Flags a Redis/Valkey `AWS::ElastiCache::ReplicationGroup` / `aws_elasticache_replication_group`
    with automatic failover off or absent (`AutomaticFailoverEnabled`,
    `automatic_failover_enabled`), Multi-AZ off or absent (`MultiAZEnabled`,
    `multi_az_enabled`), or fewer than two nodes per shard (`NumCacheClusters` /
    `num_cache_clusters`, absent meaning 1; `ReplicasPerNodeGroup` / `replicas_per_node_group`
    or each `NodeGroupConfiguration` `ReplicaCount` plus the primary). One finding per group
    lists every gap and points at the first written property among automatic failover,
    Multi-AZ and node count (else the resource). Also flags (medium) a single-node Redis/Valkey
    `AWS::ElastiCache::CacheCluster` / `aws_elasticache_cluster` that is not a member of a
    replication group. Memcached and ElastiCache Serverless are not flagged.
    Terraform `aws_elasticache_cluster` resources that join a group (`replication_group_id`)
    are read replicas of its shard and count as nodes; provider v5's `cluster_mode` string
    (`enabled`/`disabled`/`compatible`) does not change the count, the v3 `cluster_mode {}` block's
    `replicas_per_node_group` does. In cluster mode with `NumNodeGroups` but no replica
    count, for groups built from an existing primary or a global datastore, and when a cache
    cluster of the same workload may join the group through an unresolved reference, the node
    count is unknown.

    The message states what a failure costs. A group in an ElastiCache Global Datastore with
    another Region (a member through `GlobalReplicationGroupId` /
    `global_replication_group_id`, or the primary of an
    `AWS::ElastiCache::GlobalReplicationGroup` with at least two `Members` / of an
    `aws_elasticache_global_replication_group` that a secondary in the scanned set joins)
    keeps its data in that Region: it is reported at **medium** severity, saying the
    cache is down in its Region until a node is rebuilt or the other Region is promoted (a
    manual step), with no data-loss claim. The primary of a global datastore whose secondaries
    are not in the scanned set is reported as before (high), saying its data is lost unless
    another Region holds it. A group whose every shard has a replica (automatic failover or
    Multi-AZ off) keeps its data on the replicas, which ElastiCache replicates to
    asynchronously: the message says writes stop until a replica is promoted, with no
    data-loss claim beyond the replication lag. Otherwise the data lost is what no snapshot
    holds: all of it with no snapshot retention (`SnapshotRetentionLimit` /
    `snapshot_retention_limit` absent or 0), else what was written since the last snapshot;
    when the node count is unknown the message adds "unless a replica holds it". A severity
    set for HA108 in the configuration applies to all of these.

    ## Why it matters
    A Redis primary without a replica is a single point of failure: when its node or AZ
    fails, the data no snapshot holds is lost and the endpoint is down until a new
    node is built. With a replica in another AZ, Multi-AZ and automatic failover, ElastiCache
    promotes the replica in seconds to a minute (high availability, REL 10 / REL 11).

    ## Example
    ```yaml
    Cache:
      Type: AWS::ElastiCache::ReplicationGroup
      Properties:
        ReplicationGroupDescription: sessions
        Engine: redis
        CacheNodeType: cache.r7g.large
        NumCacheClusters: 1
    ```
    ```hcl
    resource "aws_elasticache_replication_group" "sessions" {
      replication_group_id = "sessions"
      description          = "sessions"
      node_type            = "cache.r7g.large"
      num_cache_clusters   = 1
    }
    ```

    ## Use instead
    ```yaml
        NumCacheClusters: 2
        AutomaticFailoverEnabled: true
        MultiAZEnabled: true
    ```
    ```hcl
      num_cache_clusters         = 2
      automatic_failover_enabled = true
      multi_az_enabled           = true
    ```

    ## References
    - AWS Well-Architected Reliability REL 10 (fault isolation), REL 11 (withstand component failures)
    - Amazon ElastiCache User Guide: Minimizing downtime with Multi-AZ
    - Equivalent: AWS Security Hub ElastiCache.3 (automatic failover), AWS Config elasticache-repl-grp-auto-failover-enabled
    """

    def check(self, arch):
        for rg in arch.of_kind("elasticache_replication_group"):
            if any(isinstance(e, str) and e.lower() == "memcached" for _, e in possibilities(rg.get("engine").value)):
                continue
            nodes, nodes_prop = _nodes_per_shard(rg)
            if nodes_prop in ("num_cache_clusters", "num_cache_clusters_legacy", None) and nodes is not UNKNOWN:
                extra = _replica_clusters(arch, rg)  # cluster mode disabled: one shard, replicas join it
                if extra is UNKNOWN:
                    nodes = UNKNOWN
                elif extra and isinstance(nodes, Choice):
                    nodes = Choice(tuple((label, v if as_int(v) is UNKNOWN else as_int(v) + extra)
                                         for label, v in possibilities(nodes)))
                elif extra:
                    nodes = nodes if as_int(nodes) is UNKNOWN else as_int(nodes) + extra
            gaps = []  # (neutral property, text, branches)
            for name, text in (("automatic_failover", "automatic failover is off"), ("multi_az", "Multi-AZ is off")):
                value = rg.get(name)
                branches = bad_branches(value.value, lambda v: as_bool(v) is False)
                if branches:
                    gaps.append((name, f"{text}{value.why()}", branches))
            branches = bad_branches(nodes, lambda v: isinstance(as_int(v), int) and as_int(v) < 2)
            if branches:
                default = f" ({rg.native_path('num_cache_clusters')} not set: 1 node)"
                why = rg.get(nodes_prop).why() if nodes_prop else default
                gaps.append((nodes_prop, f"a shard has a single node, no replica{why}", branches))
            if not gaps:
                continue
            line_prop = next((name for name, _, _ in gaps if name and rg.has(name)), None)
            text = "; ".join(f"{t}{''.join(when(b) for b in bs if b)}" for _, t, bs in gaps)
            consequence, severity = _consequence(arch, rg, _replicas_hold_data(nodes))
            yield self.finding(
                rg,
                f"{subject(rg)} cannot fail over: {text}. When the primary's node or AZ fails, "
                f"{consequence}; run at least one replica per shard with automatic failover and Multi-AZ enabled.",
                line=rg.line_of(line_prop), detail=",".join(name or "nodes" for name, _, _ in gaps),
                severity=severity,
            )
        for cluster in arch.of_kind("elasticache_cluster"):
            engine = cluster.get("engine").value
            redis = isinstance(engine, str) and engine.lower() in ("redis", "valkey")
            if cluster.has("replication_group") or not redis:
                continue
            yield self.finding(
                cluster,
                f"{subject(cluster)} is a single {engine} node: it has no replica to fail over to. "
                "Use a replication group with a replica in another Availability Zone and automatic failover.",
                line=cluster.line_of("num_cache_nodes" if cluster.has("num_cache_nodes") else None),
                detail="single_node", severity="medium",
            )
