from ha_lint.engine import Rule
from ha_lint.queries.az import azs_spanned
from ha_lint.queries.stacks import az_replicas
from ha_lint.values import when
from ha_lint.wording import subject


class AsgSingleAz(Rule):
    id = "HA104"
    name = "asg-single-az"
    severity = "high"
    since = "0.1.0"
    summary = "Auto Scaling group placed in one Availability Zone: an AZ outage takes every instance down."
    tags = ("availability", "autoscaling")
    docs = """
    ## What it does
    Flags an `AWS::AutoScaling::AutoScalingGroup` / `aws_autoscaling_group` whose subnets
    (`VPCZoneIdentifier`, `vpc_zone_identifier`) or, without subnets, whose
    `AvailabilityZones` resolve to fewer than two distinct AZs: exactly one subnet (whatever
    its AZ), or several subnets all in the same known AZ. Subnets decide when both are given.
    AZs are compared after resolution: `!Select [0, !GetAZs '']` and `!Select [1, !GetAZs '']`
    are two AZs, and `AvailabilityZones: !GetAZs ''` / `data.aws_availability_zones.x.names`
    (every AZ of the Region) is several. Subnets from a parameter without default or a module
    output are unknown and not reported. A group deployed once per AZ (stacks of
    one template that differ only in their AZ, subnet, route table or Elastic IP: `nat-a`,
    `nat-b`, `nat-c` in `stacks:`) is one group spanning those AZs, and is not reported.

    ## Why it matters
    An Auto Scaling group replaces failed instances, but only inside the AZs it may use.
    When its only AZ fails, every instance goes with it and the group cannot launch
    replacements anywhere else: the service is down until the AZ recovers (REL 10, fault
    isolation; horizontal scaling only helps across AZs).

    ## Example
    ```yaml
    WebGroup:
      Type: AWS::AutoScaling::AutoScalingGroup
      Properties:
        MinSize: "2"
        MaxSize: "6"
        VPCZoneIdentifier: [!Ref PrivateSubnetA]
    ```
    ```hcl
    resource "aws_autoscaling_group" "web" {
      min_size            = 2
      max_size            = 6
      vpc_zone_identifier = [aws_subnet.private_a.id]
    }
    ```

    ## Use instead
    ```yaml
        VPCZoneIdentifier: [!Ref PrivateSubnetA, !Ref PrivateSubnetB]
    ```
    ```hcl
      vpc_zone_identifier = [aws_subnet.private_a.id, aws_subnet.private_b.id]
    ```

    ## References
    - AWS Well-Architected Reliability REL 10 (use fault isolation: deploy to multiple locations)
    - Amazon EC2 Auto Scaling User Guide: Auto Scaling groups with multiple Availability Zones
    - Equivalent: AWS Security Hub AutoScaling.2, AWS Config autoscaling-multiple-az
    """

    def check(self, arch):
        for asg in arch.of_kind("autoscaling_group"):
            if len(az_replicas(arch, asg)) > 1:
                continue  # one stack per AZ: together the groups span those AZs
            for span in azs_spanned(arch, asg):
                if span.single_az:
                    yield self.finding(
                        asg,
                        f"{subject(asg)} can launch instances in only one Availability Zone: "
                        f"it has {span.describe()}{when(span.branch)}. An AZ outage takes every instance down and "
                        "the group cannot replace them elsewhere; give it subnets in at least two AZs.",
                        line=asg.line_of(span.prop), detail=span.detail,
                    )
