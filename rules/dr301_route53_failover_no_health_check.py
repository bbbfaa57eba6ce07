from ha_lint.engine import Rule
from ha_lint.queries.dns import failover_roles, health_check_advice, records, unprotected_branches
from ha_lint.values import when
from ha_lint.wording import subject


class Route53FailoverNoHealthCheck(Rule):
    id = "DR301"
    name = "route53-failover-no-health-check"
    severity = "high"
    since = "0.1.0"
    summary = "PRIMARY Route 53 failover record with no health check: Route 53 never fails over."
    tags = ("dr", "rto", "route53")
    docs = """
    ## What it does
    Flags a PRIMARY failover record (`Failover: PRIMARY` on `AWS::Route53::RecordSet` or
    an entry of `AWS::Route53::RecordSetGroup`; `failover_routing_policy { type =
    "PRIMARY" }` on `aws_route53_record`) that has no health check (`HealthCheckId`,
    `health_check_id`) and is not an alias that evaluates its target's health
    (`AliasTarget.EvaluateTargetHealth: true`, `alias { evaluate_target_health = true }`).
    A SECONDARY without a health check is fine: Route 53 serves it whenever the primary is
    unhealthy. A health check ID that is a parameter or variable counts as present.

    ## Why it matters
    Route 53 fails over only when it sees the primary as unhealthy. A primary with no
    health check is always healthy to Route 53, so during a Regional outage it keeps
    answering with the dead primary and the standby is never used: the DR site exists, but
    the RTO is however long it takes a human to edit DNS (REL 13, plan for DR).

    ## Example
    ```yaml
    Primary:
      Type: AWS::Route53::RecordSet
      Properties:
        HostedZoneName: example.com.
        Name: app.example.com.
        Type: A
        SetIdentifier: primary
        Failover: PRIMARY
        TTL: "60"
        ResourceRecords: [192.0.2.10]
    ```
    ```hcl
    resource "aws_route53_record" "primary" {
      zone_id        = aws_route53_zone.main.zone_id
      name           = "app.example.com"
      type           = "A"
      ttl            = 60
      records        = ["192.0.2.10"]
      set_identifier = "primary"
      failover_routing_policy {
        type = "PRIMARY"
      }
    }
    ```

    ## Use instead
    ```yaml
        HealthCheckId: !Ref PrimaryHealthCheck
    ```
    ```hcl
      health_check_id = aws_route53_health_check.primary.id
    ```

    ## References
    - AWS Well-Architected Reliability REL 13 (plan for disaster recovery), REL 11 (automate healing)
    - Amazon Route 53 Developer Guide: Configuring DNS failover (active-passive failover)
    - Equivalent: none in Checkov/Trivy/KICS
    """

    def check(self, arch):
        for rec in records(arch):
            for role_branch, role in failover_roles(rec):
                if role != "PRIMARY":
                    continue
                for branch in unprotected_branches(rec):
                    label = ", ".join(p for p in (role_branch, branch) if p) or None
                    yield self.finding(
                        rec.owner,
                        f"{subject(rec.owner, address=rec.label)} ({rec.describe()}, PRIMARY failover) has no health "
                        f"check and does not evaluate an alias target's health{when(label)}: Route 53 will keep "
                        f"serving it when it is down and never fail over. {health_check_advice(rec.owner)}",
                        line=rec.line_of("failover"), detail=f"{rec.label}:no_health_check", branch=label,
                    )
