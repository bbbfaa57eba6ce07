from ha_lint.engine import Rule
from ha_lint.queries.lb import load_balancing
from ha_lint.values import bad_branches, when
from ha_lint.wording import property_name, subject

_LB_CHECKS = {"ELB", "VPC_LATTICE"}


def _without_lb_check(value):
    return isinstance(value, str) and not ({t.strip().upper() for t in value.split(",")} & _LB_CHECKS)


class AsgEc2HealthCheckBehindLb(Rule):
    id = "HA114"
    name = "asg-ec2-health-check-behind-lb"
    severity = "medium"
    since = "0.1.0"
    summary = "Auto Scaling group behind a load balancer that uses EC2 health checks: instances failing the LB check are never replaced."
    tags = ("availability", "autoscaling", "elb")
    docs = """
    ## What it does
    Flags an `AWS::AutoScaling::AutoScalingGroup` / `aws_autoscaling_group` that is attached to
    a load balancer or target group (on the group, or through a separate
    `aws_autoscaling_attachment` / `aws_autoscaling_traffic_source_attachment`) while its
    health check type is `EC2`, explicitly or by default (`HealthCheckType`,
    `health_check_type`). A type list that includes `ELB` (or `VPC_LATTICE`, the
    health check of a VPC Lattice traffic source) is fine.

    ## Why it matters
    With EC2 health checks, Auto Scaling replaces an instance only when EC2 reports it
    impaired. An instance whose application hangs or returns errors fails the load balancer's
    health check, so the load balancer stops sending it traffic, but Auto Scaling keeps it
    running: capacity silently shrinks until nothing serves (REL 11, withstand component
    failures: automate healing on all layers).

    ## Example
    ```yaml
    WebGroup:
      Type: AWS::AutoScaling::AutoScalingGroup
      Properties:
        MinSize: "2"
        MaxSize: "6"
        TargetGroupARNs: [!Ref WebTargetGroup]
    ```
    ```hcl
    resource "aws_autoscaling_group" "web" {
      min_size          = 2
      max_size          = 6
      target_group_arns = [aws_lb_target_group.web.arn]
    }
    ```

    ## Use instead
    ```yaml
        HealthCheckType: ELB
        HealthCheckGracePeriod: 300
    ```
    ```hcl
      health_check_type         = "ELB"
      health_check_grace_period = 300
    ```

    ## References
    - AWS Well-Architected Reliability REL 11 (withstand component failures)
    - Amazon EC2 Auto Scaling User Guide: Add Elastic Load Balancing health checks
    - Equivalent: AWS Security Hub AutoScaling.1, AWS Config autoscaling-group-elb-healthcheck-required, Checkov CKV2_AWS_15
    """

    def check(self, arch):
        for asg in arch.of_kind("autoscaling_group"):
            links = load_balancing(arch, asg)
            if links.attached is False or (links.attached is not True and links.branch is None):
                continue
            check_type = asg.get("health_check_type")
            for branch in bad_branches(check_type.value, _without_lb_check):
                label = ", ".join(b for b in (branch, links.branch) if b) or None
                yield self.finding(
                    asg,
                    f"{subject(asg)} serves {links.attachments[0].description} but its health "
                    f"check type is {check_type.value if branch is None else 'EC2'}{check_type.why()}{when(label)}: "
                    "instances that fail the load balancer's health check stay in service and are never replaced. "
                    f"Set {property_name(asg, 'health_check_type')} to ELB.",
                    line=asg.line_of("health_check_type"),
                    detail="health_check_type", branch=label,
                )
