from ha_lint.engine import Rule
from ha_lint.queries.az import azs_spanned
from ha_lint.values import when
from ha_lint.wording import subject


class LoadBalancerSingleAz(Rule):
    id = "HA106"
    name = "load-balancer-single-az"
    severity = "high"
    since = "0.1.0"
    summary = "Load balancer enabled in one Availability Zone: the entry point fails with that AZ."
    tags = ("availability", "elb")
    docs = """
    ## What it does
    Flags `AWS::ElasticLoadBalancingV2::LoadBalancer`, `AWS::ElasticLoadBalancing::LoadBalancer`,
    `aws_lb`/`aws_alb` and `aws_elb` whose subnets (`Subnets`, `SubnetMappings`, `subnets`,
    `subnet_mapping {}`) or, without subnets, `AvailabilityZones` resolve to fewer than two
    distinct AZs: one subnet (whatever its AZ), or subnets all in the same known AZ. A Network
    Load Balancer in one subnet is flagged; one in two subnets of two AZs is not.

    ## Why it matters
    A load balancer has nodes only in the AZs of its subnets. With one AZ, the entry point of
    the whole application fails with that AZ even if the targets behind it run in several:
    no node is left to receive traffic (REL 10, fault isolation; REL 11, withstand component
    failures). Application Load Balancers require two AZs; Network and Classic Load Balancers
    accept one, which is the trap.

    ## Example
    ```yaml
    PublicNlb:
      Type: AWS::ElasticLoadBalancingV2::LoadBalancer
      Properties:
        Type: network
        Subnets: [!Ref PublicSubnetA]
    ```
    ```hcl
    resource "aws_lb" "public" {
      load_balancer_type = "network"
      subnets            = [aws_subnet.public_a.id]
    }
    ```

    ## Use instead
    ```yaml
        Subnets: [!Ref PublicSubnetA, !Ref PublicSubnetB]
    ```
    ```hcl
      subnets = [aws_subnet.public_a.id, aws_subnet.public_b.id]
    ```

    ## References
    - AWS Well-Architected Reliability REL 10 (fault isolation), REL 11 (withstand component failures)
    - Elastic Load Balancing User Guide: Availability Zones and load balancer nodes
    - Equivalent: AWS Security Hub ELB.13 (ALB/NLB/GWLB) and ELB.10 (Classic), AWS Config elbv2-multiple-az / clb-multiple-az
    """

    def check(self, arch):
        for lb in arch.of_kind("load_balancer", "classic_load_balancer"):
            for span in azs_spanned(arch, lb):
                if span.single_az:
                    yield self.finding(
                        lb,
                        f"{subject(lb)} is enabled in only one Availability Zone: it has "
                        f"{span.describe()}{when(span.branch)}. When that AZ fails the entry point fails with it; "
                        "give it subnets in at least two AZs.",
                        line=lb.line_of(span.prop), detail=span.detail,
                    )
