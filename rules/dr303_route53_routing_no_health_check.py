from ha_lint.engine import Rule
from ha_lint.queries.dns import health_check_advice, records, routing_policies, unprotected_branches
from ha_lint.values import when
from ha_lint.wording import subject


class Route53RoutingNoHealthCheck(Rule):
    id = "DR303"
    name = "route53-routing-no-health-check"
    severity = "low"
    since = "0.1.0"
    summary = "Weighted, latency, geo or multivalue Route 53 record with no health check: traffic keeps reaching a dead endpoint."
    tags = ("dr", "rto", "route53")
    docs = """
    ## What it does
    Flags Route 53 records that use weighted (`Weight`, `weighted_routing_policy`),
    latency (`Region`, `latency_routing_policy`), geolocation (`GeoLocation`,
    `geolocation_routing_policy`), geoproximity (`GeoProximityLocation`,
    `geoproximity_routing_policy`) or multivalue answer (`MultiValueAnswer: true`,
    `multivalue_answer_routing_policy = true`) routing with no health check and without
    an alias that evaluates its target's health. Entries of
    `AWS::Route53::RecordSetGroup` are checked too. Failover records are DR301's.

    ## Why it matters
    These policies spread traffic across endpoints, often across Regions. Route 53 stops
    answering with an endpoint only when a health check (or the alias target's health)
    says it is down; without one, the share of users routed to a failed endpoint or
    Region keeps failing until someone edits DNS (REL 11, REL 13).

    ## Example
    ```yaml
    ApiEuWest1:
      Type: AWS::Route53::RecordSet
      Properties:
        HostedZoneName: example.com.
        Name: api.example.com.
        Type: CNAME
        SetIdentifier: eu-west-1
        Region: eu-west-1
        TTL: "60"
        ResourceRecords: [api-eu-west-1.example.com]
    ```
    ```hcl
    resource "aws_route53_record" "api_eu" {
      zone_id        = aws_route53_zone.main.zone_id
      name           = "api"
      type           = "CNAME"
      ttl            = 60
      records        = ["api-eu-west-1.example.com"]
      set_identifier = "eu-west-1"
      latency_routing_policy {
        region = "eu-west-1"
      }
    }
    ```

    ## Use instead
    ```yaml
        HealthCheckId: !Ref ApiEuWest1HealthCheck
    ```
    ```hcl
      health_check_id = aws_route53_health_check.api_eu.id
    ```

    ## References
    - AWS Well-Architected Reliability REL 11 (withstand component failures), REL 13 (plan for disaster recovery)
    - Amazon Route 53 Developer Guide: How health checks work in complex configurations
    - Equivalent: none in Checkov/Trivy/KICS
    """

    def check(self, arch):
        for rec in records(arch):
            policies = routing_policies(rec)
            if not policies:
                continue
            policy, line = policies[0]
            for branch in unprotected_branches(rec):
                yield self.finding(
                    rec.owner,
                    f"{subject(rec.owner, address=rec.label)} ({rec.describe()}, {policy} routing) has no health "
                    f"check and does not evaluate an alias target's health{when(branch)}: Route 53 keeps sending "
                    f"its share of traffic to it when it is down. {health_check_advice(rec.owner)}",
                    line=line, detail=f"{rec.label}:{policy}:no_health_check", branch=branch,
                )
