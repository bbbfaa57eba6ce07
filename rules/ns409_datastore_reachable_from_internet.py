from ha_lint.engine import Rule
from ha_lint.queries.reach import exposures
from ha_lint.queries.sg import join_branches
from ha_lint.values import when
from ha_lint.wording import subject


class DatastoreReachableFromInternet(Rule):
    id = "NS409"
    name = "datastore-reachable-from-internet"
    severity = "high"
    since = "0.1.0"
    summary = "A database has a public address, a route to an internet gateway, and a security group open to the world on its port."
    tags = ("security", "network", "graph")
    docs = """
    ## What it does
    Follows the graph from the internet to each database and reports it when every link
    holds:
    1. a public address: `PubliclyAccessible` / `publicly_accessible` true (RDS instances,
       Aurora members, Multi-AZ DB clusters, Redshift clusters; an absent flag counts as
       NS408 reads the API's default), or for an EC2 instance that serves a database port,
       an associated public IP, an Elastic IP, or a subnet with `MapPublicIpOnLaunch` /
       `map_public_ip_on_launch` (unless the instance opts out);
    2. one of its subnets (the DB/cluster subnet group's, the instance's) has a route table
       that sends `0.0.0.0/0` to an internet gateway;
    3. one of its security groups (its own, or an Aurora member's cluster's) admits
       `0.0.0.0/0` on its port (the `Port` property, else the engine's default: 3306, 5432,
       1521, 1433, 5439 ...), or on every port.
    The message shows the path. An EC2 instance counts as a database when one of its
    security groups opens a database/cache port (the NS402 list) by name, not merely
    through an all-traffic rule.

    A link that depends on an unresolved value breaks the path (no finding). The
    finding points at the property that gives the public address (`PubliclyAccessible`,
    `associate_public_ip_address`, `AssociatePublicIpAddress`), else at the resource.
    DocumentDB has no public endpoint, so it never has link 1; a subnet that maps public
    IPs gives addresses to EC2 instances only, not to databases. The path is IPv4 (the
    public address and the `0.0.0.0/0` route are IPv4), so a rule admitting only `::/0`
    does not complete it (NS401-NS403 still report that rule). Neptune public endpoints
    (instance-level `PubliclyAccessible`, engine 1.4.6+) are not modelled yet.

    ## Why it matters
    This is the complete exposure that NS402 and NS408 each describe one part of: anyone on
    the internet can open a connection to the database. Data theft and ransom (RPO: the
    data is gone or encrypted) and connection floods that take the service down follow.
    Remove any one link (private subnets, `PubliclyAccessible: false`, or a security group
    that admits only the application tier) and the path is closed.

    ## Example
    ```yaml
    Database:
      Type: AWS::RDS::DBInstance
      Properties:
        Engine: postgres
        DBInstanceClass: db.m6g.large
        AllocatedStorage: "100"
        MasterUsername: app
        ManageMasterUserPassword: true
        PubliclyAccessible: true                   # 1. a public address
        DBSubnetGroupName: !Ref SubnetGroup
        VPCSecurityGroups: [!Ref DbSg]
    DbSg:
      Type: AWS::EC2::SecurityGroup
      Properties:
        GroupDescription: database
        VpcId: !Ref Vpc
        SecurityGroupIngress:                      # 3. the database port open to the internet
          - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, CidrIp: 0.0.0.0/0}
    SubnetGroup:
      Type: AWS::RDS::DBSubnetGroup
      Properties: {DBSubnetGroupDescription: database, SubnetIds: [!Ref SubnetA, !Ref SubnetB]}
    SubnetA:
      Type: AWS::EC2::Subnet
      Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.0.0/24, AvailabilityZone: !Select [0, !GetAZs ""]}
    SubnetB:
      Type: AWS::EC2::Subnet
      Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.1.0/24, AvailabilityZone: !Select [1, !GetAZs ""]}
    Vpc:
      Type: AWS::EC2::VPC
      Properties: {CidrBlock: 10.0.0.0/16, EnableDnsHostnames: true}
    InternetGateway:
      Type: AWS::EC2::InternetGateway
    GatewayAttachment:
      Type: AWS::EC2::VPCGatewayAttachment
      Properties: {VpcId: !Ref Vpc, InternetGatewayId: !Ref InternetGateway}
    RouteTable:
      Type: AWS::EC2::RouteTable
      Properties: {VpcId: !Ref Vpc}
    InternetRoute:                                 # 2. the subnets' route to the internet gateway
      Type: AWS::EC2::Route
      DependsOn: GatewayAttachment
      Properties:
        RouteTableId: !Ref RouteTable
        DestinationCidrBlock: 0.0.0.0/0
        GatewayId: !Ref InternetGateway
    SubnetARoutes:
      Type: AWS::EC2::SubnetRouteTableAssociation
      Properties: {SubnetId: !Ref SubnetA, RouteTableId: !Ref RouteTable}
    SubnetBRoutes:
      Type: AWS::EC2::SubnetRouteTableAssociation
      Properties: {SubnetId: !Ref SubnetB, RouteTableId: !Ref RouteTable}
    ```
    ```hcl
    resource "aws_db_instance" "main" {
      engine                      = "postgres"
      instance_class              = "db.m6g.large"
      allocated_storage           = 100
      username                    = "app"
      manage_master_user_password = true
      publicly_accessible         = true   # 1. a public address
      db_subnet_group_name        = aws_db_subnet_group.main.name
      vpc_security_group_ids      = [aws_security_group.db.id]
    }

    resource "aws_security_group" "db" {
      vpc_id = aws_vpc.main.id
      ingress {   # 3. the database port open to the internet
        protocol    = "tcp"
        from_port   = 5432
        to_port     = 5432
        cidr_blocks = ["0.0.0.0/0"]
      }
    }

    resource "aws_db_subnet_group" "main" {
      subnet_ids = aws_subnet.public[*].id
    }

    resource "aws_subnet" "public" {
      count             = 2
      vpc_id            = aws_vpc.main.id
      cidr_block        = "10.0.${count.index}.0/24"
      availability_zone = ["eu-west-1a", "eu-west-1b"][count.index]
    }

    resource "aws_vpc" "main" {
      cidr_block           = "10.0.0.0/16"
      enable_dns_hostnames = true
    }

    resource "aws_internet_gateway" "main" {
      vpc_id = aws_vpc.main.id
    }

    resource "aws_route_table" "public" {
      vpc_id = aws_vpc.main.id
      route {   # 2. the subnets' route to the internet gateway
        cidr_block = "0.0.0.0/0"
        gateway_id = aws_internet_gateway.main.id
      }
    }

    resource "aws_route_table_association" "public" {
      count          = 2
      subnet_id      = aws_subnet.public[count.index].id
      route_table_id = aws_route_table.public.id
    }
    ```

    ## Use instead
    ```yaml
    PubliclyAccessible: false
    SecurityGroupIngress:   # from the application's security group only
      - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: !Ref AppSg}
    ```
    ```hcl
    publicly_accessible = false
    ingress {   # from the application's security group only
      protocol        = "tcp"
      from_port       = 5432
      to_port         = 5432
      security_groups = [aws_security_group.app.id]
    }
    ```

    ## References
    - AWS Well-Architected Security SEC 5 (protect networks), Reliability REL 11
    - Equivalent: KICS "DB Security Group With Public Scope" (flag plus open group, no routing);
      Checkov CKV_AWS_17 and Trivy no-public-ingress-sgr each cover one link
    """

    def check(self, arch):
        for exp in exposures(arch):
            condition = exp.datastore.meta.condition_unknown
            branch = join_branches(f"condition {condition} true" if condition else None, exp.branch)
            yield self.finding(
                exp.datastore,
                f"{subject(exp.datastore)} is reachable from the internet{when(branch)}: {exp.path()}. "
                "Break a link: keep it in private subnets, turn off its public address, or admit only the "
                "application tier's security group.",
                line=exp.address.line, detail=f"reachable:{exp.subnet.address}",
            )
