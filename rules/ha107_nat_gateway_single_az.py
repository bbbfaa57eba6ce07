from ha_lint.engine import Rule
from ha_lint.model import Resource
from ha_lint.queries.az import AzSpan, Place, Zone, subnet_zone
from ha_lint.queries.network import is_regional_nat_gateway, nat_gateway_of, nat_gateway_zone, vpc_of
from ha_lint.wording import subject


class NatGatewaySingleAz(Rule):
    id = "HA107"
    name = "nat-gateway-single-az"
    severity = "medium"
    since = "0.1.0"
    summary = "Private subnets in several AZs send internet traffic through NAT gateways in one AZ: that AZ cuts egress for all."
    tags = ("availability", "vpc", "nat")
    docs = """
    ## What it does
    Follows each subnet's route table (explicit association, else the VPC's main table) to
    its `0.0.0.0/0` route. When the subnets of a VPC whose default route goes to a NAT
    gateway sit in two or more distinct AZs, while those NAT gateways all sit in one AZ
    (a single NAT gateway, or several whose subnets resolve to the same AZ), each of those
    NAT gateways is reported. One NAT gateway per AZ is fine; so is a regional NAT gateway
    (`AvailabilityMode: regional`), which spans AZs by itself. Subnets whose route or AZ
    cannot be resolved are left out. Subnets are grouped by VPC; two subnets whose
    AZs come from two different parameters without defaults are not known to be in two AZs
    (the deployer may pass the same AZ twice), so they do not make the finding.

    ## Why it matters
    A NAT gateway is redundant only inside its own AZ. When that AZ fails, private subnets in
    every other AZ lose outbound internet access too (package downloads, AWS APIs without VPC
    endpoints, third-party calls): one AZ outage becomes a regional one for egress, and
    cross-AZ NAT traffic costs data-processing charges every day (REL 10, fault isolation).

    ## Example
    ```yaml
    PrivateRoute:
      Type: AWS::EC2::Route
      Properties:
        RouteTableId: !Ref PrivateRouteTable   # associated with PrivateSubnetA and PrivateSubnetB
        DestinationCidrBlock: 0.0.0.0/0
        NatGatewayId: !Ref NatGateway          # in PublicSubnetA only
    ```
    ```hcl
    module "vpc" {
      source             = "terraform-aws-modules/vpc/aws"
      azs                = ["eu-west-1a", "eu-west-1b"]
      enable_nat_gateway = true
      single_nat_gateway = true
    }
    ```

    ## Use instead
    ```yaml
    PrivateRouteB:
      Type: AWS::EC2::Route
      Properties:
        RouteTableId: !Ref PrivateRouteTableB  # associated with PrivateSubnetB
        DestinationCidrBlock: 0.0.0.0/0
        NatGatewayId: !Ref NatGatewayB         # in PublicSubnetB
    ```
    ```hcl
      one_nat_gateway_per_az = true
      single_nat_gateway     = false
    ```

    ## References
    - AWS Well-Architected Reliability REL 10 (use fault isolation to protect your workload)
    - Amazon VPC User Guide: NAT gateways ("create a NAT gateway in each Availability Zone")
    - Equivalent: none known in Checkov/Trivy/KICS (they look at one resource at a time)
    """

    def check(self, arch):
        groups = {}
        for subnet in arch.of_kind("subnet"):
            nat = nat_gateway_of(arch, subnet)
            if isinstance(nat, Resource) and is_regional_nat_gateway(nat) is False:
                vpc = vpc_of(arch, subnet)
                groups.setdefault((subnet.workload, vpc.uid if vpc else ""), []).append((subnet, nat))
        for pairs in groups.values():
            nats = list(dict.fromkeys(nat for _, nat in pairs))
            served = AzSpan(tuple(Place(s.address, subnet_zone(arch, s), s.uid) for s, _ in pairs), "private subnet")
            zones = {nat_gateway_zone(arch, nat) for nat in nats}
            one_zone = len(nats) == 1 or (len(zones) == 1 and isinstance(next(iter(zones)), Zone))
            if not served.multi_az or not one_zone:
                continue
            zone = next(iter(zones))
            where = zone.describe() if isinstance(zone, Zone) else "a single AZ"
            for nat in nats:
                yield self.finding(
                    nat,
                    f"{subject(nat)} sits in {where}, yet {served.describe()} in several Availability "
                    f"Zones send their internet-bound traffic through "
                    f"{'it' if len(nats) == 1 else 'NAT gateways all in that AZ'}: "
                    "when that AZ fails, every AZ loses egress. Create a NAT gateway in each AZ and route each "
                    "private subnet to the one in its own AZ.",
                    detail="nat_gateway",
                )
