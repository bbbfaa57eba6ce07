from ha_lint.engine import Rule
from ha_lint.queries.dns import failover_partner, failover_roles, records
from ha_lint.values import when
from ha_lint.wording import subject


class Route53FailoverUnpaired(Rule):
    id = "DR302"
    name = "route53-failover-unpaired"
    severity = "high"
    since = "0.1.0"
    summary = "Route 53 failover record with no partner: a PRIMARY with no SECONDARY, or the reverse."
    tags = ("dr", "rto", "route53")
    docs = """
    ## What it does
    Flags a PRIMARY failover record with no SECONDARY record of the same name and type in
    the same hosted zone anywhere in the scanned set, and a SECONDARY with no PRIMARY.
    Records come from `AWS::Route53::RecordSet`, the entries of
    `AWS::Route53::RecordSetGroup`, and `aws_route53_record` (`failover_routing_policy`).
    Names are compared case-insensitively without the trailing dot; a Terraform name
    relative to its zone (`app`) is completed with the zone's name when the zone is in the
    scanned set. A record whose name, type, zone or failover role cannot be resolved may
    be the partner, so nothing is flagged then (a template deployed twice with
    `Failover: !Ref Role` pairs with itself).

    ## Why it matters
    A failover pair is what moves traffic to the DR site. A PRIMARY alone has nothing to
    fail over to: when it is unhealthy Route 53 answers with it anyway. A SECONDARY alone
    is never served. Either way the DR plan's RTO relies on a manual DNS change that is
    not written down anywhere (REL 13).

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
        HealthCheckId: !Ref PrimaryHealthCheck
        TTL: "60"
        ResourceRecords: [192.0.2.10]
    ```
    ```hcl
    resource "aws_route53_record" "primary" {
      zone_id         = aws_route53_zone.main.zone_id
      name            = "app"
      type            = "A"
      ttl             = 60
      records         = ["192.0.2.10"]
      set_identifier  = "primary"
      health_check_id = aws_route53_health_check.primary.id
      failover_routing_policy {
        type = "PRIMARY"
      }
    }
    ```

    ## Use instead
    ```yaml
    Secondary:
      Type: AWS::Route53::RecordSet
      Properties:
        HostedZoneName: example.com.
        Name: app.example.com.
        Type: A
        SetIdentifier: secondary
        Failover: SECONDARY
        TTL: "60"
        ResourceRecords: [198.51.100.10]
    ```
    ```hcl
    resource "aws_route53_record" "secondary" {
      zone_id        = aws_route53_zone.main.zone_id
      name           = "app"
      type           = "A"
      ttl            = 60
      records        = ["198.51.100.10"]
      set_identifier = "secondary"
      failover_routing_policy {
        type = "SECONDARY"
      }
    }
    ```

    ## References
    - AWS Well-Architected Reliability REL 13 (plan for disaster recovery)
    - Amazon Route 53 Developer Guide: Failover routing
    - Equivalent: none in Checkov/Trivy/KICS
    """

    def check(self, arch):
        recs = records(arch)
        for rec in recs:
            for branch, role in failover_roles(rec):
                if role not in ("PRIMARY", "SECONDARY") or failover_partner(arch, recs, rec, role) is not False:
                    continue
                other = "SECONDARY" if role == "PRIMARY" else "PRIMARY"
                yield self.finding(
                    rec.owner,
                    f"{subject(rec.owner, address=rec.label)} ({rec.describe()}, {role} failover) has no {other} "
                    f"record of the same name and type in the scanned set{when(branch)}: there is "
                    + ("nothing to fail over to" if role == "PRIMARY" else "no primary, so it is never served")
                    + f". Add the {other} record for the other site.",
                    line=rec.line_of("failover"), detail=f"{rec.label}:unpaired_{role.lower()}", branch=branch,
                )
