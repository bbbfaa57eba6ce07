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
    Vpc:
      Type: AWS::EC2::VPC
      Properties: {CidrBlock: 10.0.0.0/16}
    InternetGateway:
      Type: AWS::EC2::InternetGateway
    GatewayAttachment:
      Type: AWS::EC2::VPCGatewayAttachment
      Properties: {VpcId: !Ref Vpc, InternetGatewayId: !Ref InternetGateway}
    PublicSubnetA:
      Type: AWS::EC2::Subnet
      Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.0.0/24, AvailabilityZone: !Select [0, !GetAZs ""]}
    PrivateSubnetA:
      Type: AWS::EC2::Subnet
      Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.10.0/24, AvailabilityZone: !Select [0, !GetAZs ""]}
    PrivateSubnetB:
      Type: AWS::EC2::Subnet
      Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.11.0/24, AvailabilityZone: !Select [1, !GetAZs ""]}
    NatIp:
      Type: AWS::EC2::EIP
      DependsOn: GatewayAttachment
      Properties: {Domain: vpc}
    NatGateway:                                  # in PublicSubnetA only
      Type: AWS::EC2::NatGateway
      Properties: {SubnetId: !Ref PublicSubnetA, AllocationId: !GetAtt NatIp.AllocationId}
    PrivateRouteTable:
      Type: AWS::EC2::RouteTable
      Properties: {VpcId: !Ref Vpc}
    PrivateRoute:
      Type: AWS::EC2::Route
      Properties:
        RouteTableId: !Ref PrivateRouteTable
        DestinationCidrBlock: 0.0.0.0/0
        NatGatewayId: !Ref NatGateway
    PrivateSubnetARoutes:
      Type: AWS::EC2::SubnetRouteTableAssociation
      Properties: {SubnetId: !Ref PrivateSubnetA, RouteTableId: !Ref PrivateRouteTable}
    PrivateSubnetBRoutes:                        # subnet B's traffic also leaves through AZ A
      Type: AWS::EC2::SubnetRouteTableAssociation
      Properties: {SubnetId: !Ref PrivateSubnetB, RouteTableId: !Ref PrivateRouteTable}
    ```
    ```hcl
    # what the terraform-aws-modules/vpc module builds with single_nat_gateway = true
    locals {
      azs = ["eu-west-1a", "eu-west-1b"]
    }

    resource "aws_vpc" "main" {
      cidr_block = "10.0.0.0/16"
    }

    resource "aws_internet_gateway" "main" {
      vpc_id = aws_vpc.main.id
    }

    resource "aws_subnet" "public" {
      count             = 2
      vpc_id            = aws_vpc.main.id
      cidr_block        = "10.0.${count.index}.0/24"
      availability_zone = local.azs[count.index]
    }

    resource "aws_subnet" "private" {
      count             = 2
      vpc_id            = aws_vpc.main.id
      cidr_block        = "10.0.1${count.index}.0/24"
      availability_zone = local.azs[count.index]
    }

    resource "aws_eip" "nat" {
      domain = "vpc"
    }

    resource "aws_nat_gateway" "main" {
      allocation_id = aws_eip.nat.id
      subnet_id     = aws_subnet.public[0].id   # in the first AZ only
    }

    resource "aws_route_table" "private" {
      vpc_id = aws_vpc.main.id
      route {
        cidr_block     = "0.0.0.0/0"
        nat_gateway_id = aws_nat_gateway.main.id
      }
    }

    resource "aws_route_table_association" "private" {
      count          = 2
      subnet_id      = aws_subnet.private[count.index].id
      route_table_id = aws_route_table.private.id   # both AZs leave through the first
    }
    ```

    ## Use instead
    ```yaml
    PublicSubnetB:
      Type: AWS::EC2::Subnet
      Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.1.0/24, AvailabilityZone: !Select [1, !GetAZs ""]}
    NatIpB:
      Type: AWS::EC2::EIP
      DependsOn: GatewayAttachment
      Properties: {Domain: vpc}
    NatGatewayB:                                 # a NAT gateway in AZ B as well
      Type: AWS::EC2::NatGateway
      Properties: {SubnetId: !Ref PublicSubnetB, AllocationId: !GetAtt NatIpB.AllocationId}
    PrivateRouteTableB:
      Type: AWS::EC2::RouteTable
      Properties: {VpcId: !Ref Vpc}
    PrivateRouteB:
      Type: AWS::EC2::Route
      Properties:
        RouteTableId: !Ref PrivateRouteTableB
        DestinationCidrBlock: 0.0.0.0/0
        NatGatewayId: !Ref NatGatewayB
    PrivateSubnetBRoutes:                        # subnet B leaves through AZ B
      Type: AWS::EC2::SubnetRouteTableAssociation
      Properties: {SubnetId: !Ref PrivateSubnetB, RouteTableId: !Ref PrivateRouteTableB}
    ```
    ```hcl
    resource "aws_eip" "nat" {
      count  = 2
      domain = "vpc"
    }

    resource "aws_nat_gateway" "main" {
      count         = 2   # one per AZ
      allocation_id = aws_eip.nat[count.index].id
      subnet_id     = aws_subnet.public[count.index].id
    }

    resource "aws_route_table" "private" {
      count  = 2
      vpc_id = aws_vpc.main.id
      route {
        cidr_block     = "0.0.0.0/0"
        nat_gateway_id = aws_nat_gateway.main[count.index].id
      }
    }

    resource "aws_route_table_association" "private" {
      count          = 2
      subnet_id      = aws_subnet.private[count.index].id
      route_table_id = aws_route_table.private[count.index].id   # each AZ through its own
    }
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
