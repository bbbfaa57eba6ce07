from ha_lint.engine import Rule
from ha_lint.queries.lb import fronted, load_balancing
from ha_lint.queries.stacks import az_replicas
from ha_lint.values import as_int, bad_branches, when
from ha_lint.wording import subject


def _at_most(value, limit):
    number = as_int(value)
    return isinstance(number, int) and number <= limit


class AsgSingleInstance(Rule):
    id = "HA105"
    name = "asg-single-instance"
    severity = "medium"
    since = "0.1.0"
    summary = "Auto Scaling group that runs at most one instance, or one behind a load balancer: a single point of failure."
    tags = ("availability", "autoscaling")
    docs = """
    ## What it does
    Flags an `AWS::AutoScaling::AutoScalingGroup` / `aws_autoscaling_group` whose `MaxSize` /
    `max_size` is 1 or less, or whose `MinSize` / `min_size` is below 2 while it is attached
    to a load balancer or target group (`TargetGroupARNs`, `LoadBalancerNames`,
    `TrafficSources`, `target_group_arns`, `load_balancers`, `traffic_source {}`, or a
    separate `aws_autoscaling_attachment` / `aws_autoscaling_traffic_source_attachment`).
    Not flagged: a group scaled to zero on purpose (minimum and desired capacity 0:
    an absent desired capacity is the minimum, as AWS applies it): a pilot-light standby.
    One finding per group: the maximum when it is at most 1, else the minimum. Attachments that cannot be resolved
    make the minimum check unknown. A group deployed once per AZ (stacks of one
    template that differ only in their AZ, subnet, route table or Elastic IP) runs an
    instance in each of those AZs, and is not reported.

    Only a group in the serving path is reported: attached to a load balancer or target
    group (unconditionally, or under a condition the finding names), hosting an ECS capacity
    provider's containers, running a self-managed EKS cluster's pods (its launch template
    names the cluster, or it carries the `kubernetes.io/cluster/<name>` tag nodes must have
    to join), or behind an entry point (an Elastic IP of its stack or root
    module that no other resource holds: the instance claims it at boot, as a NAT instance
    does). A group outside the serving path, such as a bastion or a batch worker, is not
    reported: there the group replacing a failed instance is the design, and nothing waits
    on it. An attachment that cannot be resolved leaves the group possibly in the path, and
    it is not reported either way.

    ## Why it matters
    Auto Scaling replaces a failed instance, but replacing takes minutes (launch, boot,
    health checks). With one instance, every failure, deployment or AZ outage is downtime
    for that long. Serving traffic from at least two instances (in two AZs) keeps the
    service up while one is replaced: horizontal over vertical scaling (REL 10 / REL 11).

    ## Example
    ```yaml
    WebGroup:
      Type: AWS::AutoScaling::AutoScalingGroup
      Properties:
        MinSize: "1"
        MaxSize: "1"
        TargetGroupARNs: [!Ref WebTargetGroup]
    ```
    ```hcl
    resource "aws_autoscaling_group" "web" {
      min_size          = 1
      max_size          = 1
      target_group_arns = [aws_lb_target_group.web.arn]
    }
    ```

    ## Use instead
    ```yaml
        MinSize: "2"
        MaxSize: "6"
    ```
    ```hcl
      min_size = 2
      max_size = 6
    ```

    ## References
    - AWS Well-Architected Reliability REL 10 (fault isolation), REL 11 (withstand component failures)
    - Amazon EC2 Auto Scaling User Guide: Set capacity limits on your Auto Scaling group
    - Equivalent: none known in Checkov/Trivy/KICS
    """

    def check(self, arch):
        for asg in arch.of_kind("autoscaling_group"):
            if len(az_replicas(arch, asg)) > 1:
                continue  # one stack per AZ: an instance in each AZ, not one instance
            low, high, desired = asg.get("min_size"), asg.get("max_size"), asg.get("desired_capacity")
            wanted = desired.value if desired.present else low.value
            if as_int(low.value) == 0 and as_int(wanted) == 0:
                continue  # scaled to zero on purpose: a pilot-light standby
            links = load_balancing(arch, asg)
            # Outside the serving path (a bastion, a batch worker) the group replacing its one
            # instance is the design; unresolved attachments leave it possibly in the path.
            front = fronted(arch, asg) if links.attached is not True else None
            if links.attached is not True and links.branch is None and front is None:
                continue
            serves = links.attachments[0].description if links.attachments else front or "traffic"
            single = bad_branches(high.value, lambda v: _at_most(v, 1))
            for branch in single:
                label = ", ".join(b for b in (branch, links.branch) if b) or None
                yield self.finding(
                    asg,
                    f"{subject(asg)} serves {serves} and runs at most one instance: its maximum "
                    f"size is {high.value if branch is None else 'at most 1'}{high.why()}{when(label)}. Every "
                    "failure or replacement is downtime; allow at least two instances across two Availability Zones.",
                    line=asg.line_of("max_size"), detail="max_size", branch=label,
                )
            if single or links.attached is False or (links.attached is not True and links.branch is None):
                continue
            for branch in bad_branches(low.value, lambda v: _at_most(v, 1)):
                label = ", ".join(b for b in (branch, links.branch) if b) or None
                yield self.finding(
                    asg,
                    f"{subject(asg)} serves {links.attachments[0].description} with a minimum size "
                    f"of {low.value if branch is None else 'less than 2'}{low.why()}{when(label)}: it may scale in "
                    "to a single instance (or none), and when that instance fails nothing serves traffic until a "
                    "replacement passes health checks. Set the minimum to at least 2.",
                    line=asg.line_of("min_size"), detail="min_size", branch=label,
                )
