from ha_lint.engine import Rule
from ha_lint.values import as_bool, bad_branches, when
from ha_lint.wording import subject


def _data_events_only(trail):
    """A trail whose selectors leave out management events (IncludeManagementEvents false in
    every event selector; advanced selectors none of which selects eventCategory Management)."""
    basic, advanced = trail.get("event_selectors").value, trail.get("advanced_event_selectors").value
    if isinstance(basic, list) and basic:
        return all(isinstance(s, dict) and as_bool(_field(s, "IncludeManagementEvents", "include_management_events")) is False
                   for s in basic)
    if isinstance(advanced, list) and advanced:
        return all(isinstance(s, dict) and not _selects_management(s) for s in advanced)
    return False


def _field(entry, *names):
    return next((entry[n] for n in names if n in entry), None)


def _selects_management(selector):
    """An advanced selector that does (or may) select management events."""
    fields = _field(selector, "FieldSelectors", "field_selector")
    if not isinstance(fields, list):
        return True
    for field in fields:
        if not isinstance(field, dict) or _field(field, "Field", "field") != "eventCategory":
            continue
        equals = _field(field, "Equals", "equals")
        return not (isinstance(equals, list) and equals and all(isinstance(v, str) and v != "Management" for v in equals))
    return True


class CloudtrailSingleRegion(Rule):
    id = "SC502"
    name = "cloudtrail-single-region"
    severity = "medium"
    since = "0.1.0"
    summary = "CloudTrail trail that records one Region only, or leaves out global service events."
    tags = ("security", "audit", "cloudtrail")
    docs = """
    ## What it does
    Flags an `AWS::CloudTrail::Trail` / `aws_cloudtrail` that is not multi-region
    (`IsMultiRegionTrail` / `is_multi_region_trail` false or absent: absent means false in
    CloudFormation and in the Terraform provider), and, separately, one that excludes
    global service events (`IncludeGlobalServiceEvents` / `include_global_service_events`
    false; absent means true). Each is reported at its own property, or at the trail when
    absent.

    An organization trail (`IsOrganizationTrail`, `is_organization_trail`) is
    judged the same way: it covers every account of the organization, but only the
    Regions its `IsMultiRegionTrail` says. CloudTrail Lake event data stores are not
    trails and are not checked. A trail whose selectors leave out management events (every
    event selector has `IncludeManagementEvents: false`, or no advanced selector selects
    `eventCategory` `Management`) records data events only: global service events are
    management events, so leaving them out is not flagged (its Regions still are).

    ## Why it matters
    A single-region trail records nothing that happens in the other Regions: resources
    launched there by mistake or by an attacker, or a DR Region's activity during a
    failover, go unaudited. Global services (IAM, STS, CloudFront) log to us-east-1 and are
    recorded only by trails that include global service events. CloudTrail must cover all
    Regions.

    ## Example
    ```yaml
    Trail:
      Type: AWS::CloudTrail::Trail
      Properties:
        IsLogging: true
        S3BucketName: !Ref TrailBucket
        IsMultiRegionTrail: false
    ```
    ```hcl
    resource "aws_cloudtrail" "main" {
      name                          = "main"
      s3_bucket_name                = aws_s3_bucket.trail.id
      include_global_service_events = false
    }
    ```

    ## Use instead
    ```yaml
        IsMultiRegionTrail: true
        IncludeGlobalServiceEvents: true
    ```
    ```hcl
      is_multi_region_trail         = true
      include_global_service_events = true
    ```

    ## References
    - AWS Well-Architected Security SEC 4 (detect and investigate security events); CIS AWS Foundations 3.1
    - Equivalent: Checkov CKV_AWS_67, Trivy AWS-0014 (cloudtrail-enable-all-regions)
    """

    def check(self, arch):
        for trail in arch.of_kind("cloudtrail"):
            checks = [("multi_region", "records only the Region it is created in")]
            if not _data_events_only(trail):  # global service events are management events
                checks.append(("global_service_events", "leaves out global service events (IAM, STS, CloudFront)"))
            for prop, what in checks:
                value = trail.get(prop)
                for branch in bad_branches(value.value, lambda v: as_bool(v) is False):
                    yield self.finding(
                        trail,
                        f"{subject(trail)} {what}{value.why()}{when(branch)}. "
                        "Make it a multi-region trail that includes global service events, so activity in every "
                        "Region is audited.",
                        prop=prop, detail=prop, branch=branch,
                    )
