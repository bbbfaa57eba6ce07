"""Where a subnet's internet-bound traffic goes: route tables, default routes, NAT gateways,
read from real CloudFormation and Terraform templates."""

from __future__ import annotations

from conftest import architecture_of as _arch, resource_at as _res
from ha_lint.queries.az import Zone
from ha_lint.queries.network import (IPV6_DEFAULT, default_route, is_public_subnet, is_regional_nat_gateway,
                                     nat_gateway_of, nat_gateway_subnet, nat_gateway_zone, route_tables_of,
                                     routes_to_internet_gateway)
from ha_lint.values import UNKNOWN


CFN = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  SharedVpc:
    Type: AWS::EC2::VPC::Id
  Env:
    Type: String
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  Igw:
    Type: AWS::EC2::InternetGateway
  Attach:
    Type: AWS::EC2::VPCGatewayAttachment
    Properties: {VpcId: !Ref Vpc, InternetGatewayId: !Ref Igw}
  Public:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.0.0/24, AvailabilityZone: !Select [0, !GetAZs ""]}
  Private:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.1.0/24, AvailabilityZone: !Select [1, !GetAZs ""]}
  Isolated:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.2.0/24}
  Maybe:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.3.0/24}
  Elsewhere:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref SharedVpc, CidrBlock: 10.1.0.0/24}
  PublicTable:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
  PublicDefault:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref PublicTable, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref Igw}
  PublicAssoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref Public, RouteTableId: !Ref PublicTable}
  NatIp:
    Type: AWS::EC2::EIP
    Properties: {Domain: vpc}
  Nat:
    Type: AWS::EC2::NatGateway
    Properties: {AllocationId: !GetAtt NatIp.AllocationId, SubnetId: !Ref Public}
  PrivateTable:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
  PrivateDefault:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref PrivateTable, DestinationCidrBlock: 0.0.0.0/0, NatGatewayId: !Ref Nat}
  PrivateAssoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref Private, RouteTableId: !Ref PrivateTable}
  MaybeTable:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
  MaybeDefault:
    Type: AWS::EC2::Route
    Condition: IsProd
    Properties: {RouteTableId: !Ref MaybeTable, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref Igw}
  MaybeAssoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref Maybe, RouteTableId: !Ref MaybeTable}
"""


def test_cloudformation_subnet_to_route_table_to_target(tmp_path):
    arch = _arch(tmp_path, CFN)
    public, private = _res(arch, "Public"), _res(arch, "Private")
    assert [t.resource.address for t in route_tables_of(arch, public)] == ["PublicTable"]
    route = default_route(arch, public)
    assert route.target_kind == "internet_gateway" and route.target.address == "Igw" and route.owner.address == "PublicDefault"
    assert is_public_subnet(arch, public) is True
    assert is_public_subnet(arch, private) is False
    nat = nat_gateway_of(arch, private)
    assert nat.address == "Nat"
    assert nat_gateway_of(arch, public) is None
    assert nat_gateway_subnet(arch, nat) is public
    assert nat_gateway_zone(arch, nat) == Zone("position", ("", 0))
    assert is_regional_nat_gateway(nat) is False


def test_cloudformation_main_table_and_unknowns(tmp_path):
    arch = _arch(tmp_path, CFN)
    isolated = _res(arch, "Isolated")
    (main,) = route_tables_of(arch, isolated)
    assert main.main and main.resource is None and main.vpc.address == "Vpc"
    assert default_route(arch, isolated) is None  # a template's new VPC: the main table has only the local route
    assert is_public_subnet(arch, isolated) is False
    assert route_tables_of(arch, _res(arch, "Elsewhere")) is UNKNOWN  # VPC from a parameter
    assert is_public_subnet(arch, _res(arch, "Elsewhere")) is UNKNOWN
    assert default_route(arch, _res(arch, "Maybe")) is UNKNOWN  # the route exists only if IsProd


TF = """\
variable "private_count" {
  type = number
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
}

resource "aws_subnet" "public" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.0.0.0/24"
  availability_zone = "eu-west-1a"
}

resource "aws_subnet" "private" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet("10.0.0.0/16", 8, count.index + 1)
  availability_zone = ["eu-west-1a", "eu-west-1b"][count.index]
}

resource "aws_subnet" "unassociated" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.9.0/24"
}

resource "aws_eip" "nat" {
  domain = "vpc"
}

resource "aws_nat_gateway" "main" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public.id
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.main.id
  }
}

resource "aws_route_table_association" "public" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route" "private_nat" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.main.id
}

resource "aws_route_table_association" "private" {
  count          = 2
  subnet_id      = element(aws_subnet.private[*].id, count.index)
  route_table_id = aws_route_table.private.id
}

# The VPC's main route table gets a default route to the internet gateway.
resource "aws_route" "main_table_default" {
  route_table_id         = aws_vpc.main.main_route_table_id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.main.id
}

resource "aws_vpc" "other" {
  cidr_block = "10.1.0.0/16"
}

resource "aws_subnet" "other" {
  vpc_id     = aws_vpc.other.id
  cidr_block = "10.1.0.0/24"
}

resource "aws_route_table" "other_main" {
  vpc_id = aws_vpc.other.id

  route {
    ipv6_cidr_block = "::/0"
    gateway_id      = "igw-0123456789abcdef0"
  }
}

resource "aws_main_route_table_association" "other" {
  vpc_id         = aws_vpc.other.id
  route_table_id = aws_route_table.other_main.id
}

resource "aws_vpc" "regional" {
  cidr_block = "10.2.0.0/16"
}

resource "aws_nat_gateway" "regional" {
  vpc_id            = aws_vpc.regional.id
  availability_mode = "regional"
}
"""


def test_terraform_inline_and_separate_routes(tmp_path):
    arch = _arch(tmp_path, TF, "main.tf")
    public = _res(arch, "aws_subnet.public")
    route = default_route(arch, public)
    assert route.owner.address == "aws_route_table.public" and route.target_kind == "internet_gateway"
    for i in (0, 1):
        private = _res(arch, f"aws_subnet.private[{i}]")
        assert nat_gateway_of(arch, private).address == "aws_nat_gateway.main"
        assert is_public_subnet(arch, private) is False
    assert nat_gateway_zone(arch, _res(arch, "aws_nat_gateway.main")) == Zone("name", "eu-west-1a")


def test_terraform_main_route_table_fallbacks(tmp_path):
    arch = _arch(tmp_path, TF, "main.tf")
    unassociated = _res(arch, "aws_subnet.unassociated")
    route = default_route(arch, unassociated)
    assert route.owner.address == "aws_route.main_table_default"  # aws_route on main_route_table_id
    assert is_public_subnet(arch, unassociated) is True
    other = _res(arch, "aws_subnet.other")
    (table,) = route_tables_of(arch, other)
    assert table.main and table.resource.address == "aws_route_table.other_main"
    assert routes_to_internet_gateway(arch, other) is False  # no IPv4 default route
    assert routes_to_internet_gateway(arch, other, IPV6_DEFAULT) is True  # "igw-" literal
    assert is_public_subnet(arch, other) is True
    assert is_regional_nat_gateway(_res(arch, "aws_nat_gateway.regional")) is True


def test_terraform_unresolved_association_count_is_unknown(tmp_path):
    text = TF.replace('resource "aws_route_table_association" "private" {\n  count          = 2',
                      'resource "aws_route_table_association" "private" {\n  count          = var.private_count')
    assert text != TF
    arch = _arch(tmp_path, text, "main.tf")
    assert route_tables_of(arch, _res(arch, "aws_subnet.private[0]")) is UNKNOWN
    assert nat_gateway_of(arch, _res(arch, "aws_subnet.private[0]")) is UNKNOWN
    # ... and it may associate the otherwise unassociated subnet too.
    assert default_route(arch, _res(arch, "aws_subnet.unassociated")) is UNKNOWN


def test_referencing_finds_every_reference_into_a_target_in_scan_order_branches_included(tmp_path):
    """The index the per-target queries use instead of scanning a kind: a route that names
    the table in one branch of an If is a candidate; one that names another table is not."""
    arch = _arch(tmp_path, """\
        AWSTemplateFormatVersion: "2010-09-09"
        Parameters:
          Env: {Type: String}
        Conditions:
          Prod: !Equals [!Ref Env, prod]
        Resources:
          Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
          Igw: {Type: AWS::EC2::InternetGateway}
          TableA: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref Vpc}}
          TableB: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref Vpc}}
          Second:
            Type: AWS::EC2::Route
            Properties: {RouteTableId: !If [Prod, !Ref TableA, !Ref TableB], DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref Igw}
          First:
            Type: AWS::EC2::Route
            Properties: {RouteTableId: !Ref TableA, DestinationCidrBlock: 10.1.0.0/16, GatewayId: !Ref Igw}
          Other:
            Type: AWS::EC2::Route
            Properties: {RouteTableId: !Ref TableB, DestinationCidrBlock: 10.2.0.0/16, GatewayId: !Ref Igw}
        """)
    table_a, table_b = _res(arch, "TableA"), _res(arch, "TableB")
    assert [r.address for r in arch.referencing(table_a, "route")] == ["Second", "First"]
    assert [r.address for r in arch.referencing([table_b, table_a], "route")] == ["Second", "First", "Other"]
    assert arch.referencing(table_a, "subnet") == []
    assert [r.address for r in arch.referencing(_res(arch, "Vpc"), "route_table", "route")] == ["TableA", "TableB"]
