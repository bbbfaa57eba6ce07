from ha_lint.engine import Rule
from ha_lint.values import as_bool, as_int, bad_branches, when
from ha_lint.wording import subject


class OpensearchSingleAz(Rule):
    id = "HA112"
    name = "opensearch-single-az"
    severity = "medium"
    since = "0.1.0"
    summary = "OpenSearch/Elasticsearch domain without zone awareness, or with a single data node."
    tags = ("availability", "opensearch")
    docs = """
    ## What it does
    Flags `AWS::OpenSearchService::Domain`, `AWS::Elasticsearch::Domain`,
    `aws_opensearch_domain` and `aws_elasticsearch_domain` whose zone awareness is off or
    absent (`ZoneAwarenessEnabled`, `zone_awareness_enabled`; Multi-AZ with Standby,
    which requires three AZs, counts as on) or that have fewer than two data nodes (`InstanceCount`, `instance_count`; absent
    means 1). One finding per domain names every gap and points at the zone awareness
    setting when written, else at the instance count, else at the resource.

    ## Why it matters
    Without zone awareness every data node sits in one AZ: an AZ outage takes the whole
    domain down, and with one data node any node failure does the same and can lose
    unreplicated data. Zone awareness spreads nodes and replica shards over two or three
    AZs (REL 10, fault isolation; REL 11, withstand component failures).

    ## Example
    ```yaml
    Search:
      Type: AWS::OpenSearchService::Domain
      Properties:
        ClusterConfig:
          InstanceType: r6g.large.search
          InstanceCount: 1
    ```
    ```hcl
    resource "aws_opensearch_domain" "search" {
      domain_name = "search"
      cluster_config {
        instance_type  = "r6g.large.search"
        instance_count = 1
      }
    }
    ```

    ## Use instead
    ```yaml
        ClusterConfig:
          InstanceType: r6g.large.search
          InstanceCount: 3
          ZoneAwarenessEnabled: true
          ZoneAwarenessConfig:
            AvailabilityZoneCount: 3
    ```
    ```hcl
      cluster_config {
        instance_type          = "r6g.large.search"
        instance_count         = 3
        zone_awareness_enabled = true
        zone_awareness_config {
          availability_zone_count = 3
        }
      }
    ```

    ## References
    - AWS Well-Architected Reliability REL 10 (fault isolation), REL 11 (withstand component failures)
    - Amazon OpenSearch Service Developer Guide: Configuring a multi-AZ domain
    - Equivalent: AWS Security Hub Opensearch.6 / ES.6 (three data nodes and zone awareness), AWS Config opensearch-data-node-fault-tolerance;
      related: Checkov CKV_AWS_318 (three dedicated master nodes)
    """

    def check(self, arch):
        for domain in arch.of_kind("opensearch_domain"):
            zone, count = domain.get("zone_awareness"), domain.get("instance_count")
            standby = as_bool(domain.get("multi_az_with_standby").value) is True
            gaps = []
            branches = [] if standby else bad_branches(zone.value, lambda v: as_bool(v) is False)
            if branches:
                gaps.append(("zone_awareness", f"zone awareness is off{zone.why()}", branches))
            branches = bad_branches(count.value, lambda v: isinstance(as_int(v), int) and as_int(v) < 2)
            if branches:
                gaps.append(("instance_count", f"it has a single data node{count.why()}", branches))
            if not gaps:
                continue
            line_prop = next((name for name, _, _ in gaps if domain.has(name)), None)
            text = "; ".join(f"{t}{''.join(when(b) for b in bs if b)}" for _, t, bs in gaps)
            yield self.finding(
                domain,
                f"{subject(domain)} runs in one Availability Zone: {text}. An AZ or node failure takes "
                "the domain down; enable zone awareness with at least two (better three) data nodes.",
                line=domain.line_of(line_prop), detail=",".join(name for name, _, _ in gaps),
            )
