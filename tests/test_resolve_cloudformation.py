"""CloudFormation values resolved as CloudFormation would at deploy time, with their origins.

Real templates through the real loader (cfn-lint's decoder) and resolver; the firing rules
through these mechanisms are proven case by case in ``fixtures/resolve/`` (see
``test_resolve_fixtures.py``)."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import pytest

from ha_lint.engine import all_rules, select
from ha_lint.graph import Architecture
from ha_lint.loaders import LoadFailure
from ha_lint.loaders.cloudformation import load
from ha_lint.model import Resource
from ha_lint.loaders.cfnparameters import parameter_overrides, read_parameter_file
from ha_lint.resolve.cloudformation import CfnSettings, NestedStack, resolve
from ha_lint.scan import ScanSettings, scan
from ha_lint.values import UNKNOWN, AzToken, Choice, Origin, Ref, Value, as_bool, bad_branches


def resources(text: str, **settings) -> dict[str, Resource]:
    _, found = resolve(load(textwrap.dedent(text), "stack.yaml"), CfnSettings(**settings))
    return {r.address: r for r in found}


DB = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  MultiAz:
    Type: String
    Default: "false"
  NoDefault:
    Type: String
  Env:
    Type: String
    Default: dev
  Zones:
    Type: CommaDelimitedList
    Default: "eu-west-1a, eu-west-1b"
  Ami:
    Type: AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>
    Default: /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  HasZone: !Not [!Equals [!Ref NoDefault, ""]]
Resources:
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      MultiAZ: !Ref MultiAz
      BackupRetentionPeriod: !If [IsProd, 30, 0]
      AvailabilityZone: !Select [1, !Ref Zones]
      Engine: !If [HasZone, postgres, mysql]
  Host:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: !Ref Ami
      AvailabilityZone: !Ref NoDefault
"""


def test_parameter_default_is_known_with_its_origin() -> None:
    db = resources(DB)["Db"]
    value = db.get("multi_az")
    assert value.value == "false" and value.known and value.present
    assert value.origin == Origin("parameter MultiAz defaults to 'false'", "stack.yaml", 6)
    assert value.why() == " (parameter MultiAz defaults to 'false' (stack.yaml:6))"
    assert db.props["AvailabilityZone"] == "eu-west-1b"  # CommaDelimitedList default, split and trimmed


def test_override_wins_and_says_so() -> None:
    db = resources(DB, parameters={"MultiAz": "true", "Env": "prod"})["Db"]
    assert db.props["MultiAZ"] == "true"
    assert db.props["BackupRetentionPeriod"] == 30
    assert str(db.origins["MultiAZ"]) == "parameter MultiAz is set to 'true' (--parameter)"


def test_parameter_without_default_and_ssm_parameter_are_unknown() -> None:
    found = resources(DB, parameters={"Ami": "ami-0123"})  # an SSM parameter's value is never the override
    assert found["Host"].props == {"ImageId": UNKNOWN, "AvailabilityZone": UNKNOWN}
    assert not found["Host"].get("availability_zone").known


def test_unknown_is_never_bad_and_known_false_is() -> None:
    """The one question rules ask: known and bad (a finding) versus unknown (none)."""
    assert bad_branches(UNKNOWN, lambda v: as_bool(v) is False) == []
    assert bad_branches("false", lambda v: as_bool(v) is False) == [None]
    assert bad_branches(Choice((("c true", True), ("c false", UNKNOWN))), lambda v: as_bool(v) is False) == []
    assert Value(UNKNOWN, 1).known is False and Value("false", 1).known is True


def test_decidable_condition_picks_a_branch_and_explains_it() -> None:
    db = resources(DB)["Db"]
    assert db.props["BackupRetentionPeriod"] == 0
    assert str(db.origins["BackupRetentionPeriod"]) == (
        "parameter Env defaults to 'dev' (stack.yaml:11) -> condition IsProd is false (stack.yaml:19)")


def test_undecidable_condition_is_a_choice_naming_both_branches() -> None:
    db = resources(DB)["Db"]
    assert db.props["Engine"] == Choice((("condition HasZone true", "postgres"), ("condition HasZone false", "mysql")))
    assert bad_branches(db.props["Engine"], lambda v: v == "mysql") == ["condition HasZone false"]


def test_no_value_branch_is_the_provider_default() -> None:
    db = resources("""
        Parameters:
          Env: {Type: String}
        Conditions:
          IsProd: !Equals [!Ref Env, prod]
        Resources:
          Db:
            Type: AWS::RDS::DBInstance
            Properties:
              MultiAZ: !If [IsProd, true, !Ref AWS::NoValue]
              Tags: !If [IsProd, [{Key: a, Value: b}], !Ref AWS::NoValue]
              Port: !If [IsProd, !Ref AWS::NoValue, !Ref AWS::NoValue]
    """)["Db"]
    assert db.props["MultiAZ"] == Choice((("condition IsProd true", True), ("condition IsProd false", False)))
    assert db.props["Tags"].branches[1] == ("condition IsProd false", None)  # no default known: None, never a sentinel
    assert "Port" not in db.props  # removed in every branch


def test_conditions_that_refer_to_each_other_are_unknown_not_a_crash() -> None:
    db = resources("""
        Conditions:
          A: !Condition B
          B: !And [!Condition A, !Equals [x, x]]
        Resources:
          Db:
            Type: AWS::RDS::DBInstance
            Properties:
              MultiAZ: !If [A, true, false]
    """)["Db"]
    assert isinstance(db.props["MultiAZ"], Choice)


def test_findinmap_with_pseudo_region_and_default_value() -> None:
    text = """
        Mappings:
          Region:
            eu-west-1: {MultiAZ: "false"}
        Resources:
          Db:
            Type: AWS::RDS::DBInstance
            Properties:
              MultiAZ: !FindInMap [Region, !Ref "AWS::Region", MultiAZ]
              Engine: !FindInMap [Region, !Ref "AWS::Region", Engine, {DefaultValue: postgres}]
    """
    known = resources(text, region="eu-west-1")["Db"]
    assert known.props == {"MultiAZ": "false", "Engine": "postgres"}
    assert str(known.origins["MultiAZ"]) == (
        "AWS::Region is 'eu-west-1' (--region) -> mapping Region.eu-west-1.MultiAZ is 'false' (stack.yaml:4)")
    assert resources(text)["Db"].props["MultiAZ"] is UNKNOWN  # region unknown: the lookup is unknown


def test_pseudo_parameters() -> None:
    text = """
        Resources:
          Topic:
            Type: AWS::SNS::Topic
            Properties:
              TopicName: !Sub "${AWS::Partition}-${AWS::URLSuffix}-${AWS::Region}"
              DisplayName: !Ref AWS::AccountId
    """
    assert resources(text, region="cn-north-1")["Topic"].props == {
        "TopicName": "aws-cn-amazonaws.com.cn-cn-north-1", "DisplayName": UNKNOWN}
    assert resources(text)["Topic"].props["TopicName"] is UNKNOWN


GETAZS = """
Resources:
  A:
    Type: AWS::EC2::Subnet
    Properties:
      AvailabilityZone: !Select [0, !GetAZs ""]
  B:
    Type: AWS::EC2::Subnet
    Properties:
      AvailabilityZone: !Select [1, !GetAZs {Ref: "AWS::Region"}]
  AlsoB:
    Type: AWS::EC2::Subnet
    Properties:
      AvailabilityZone: !Select [1, Fn::GetAZs: ""]
  Instance:
    Type: AWS::EC2::Instance
    Properties:
      AvailabilityZone: !GetAtt B.AvailabilityZone
      SubnetId: !Ref B
  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      AvailabilityZones: !GetAZs ""
"""


def test_select_getazs_gives_distinct_azs_even_when_the_region_is_unknown() -> None:
    found = resources(GETAZS)
    a, b, also_b = (found[n].props["AvailabilityZone"] for n in ("A", "B", "AlsoB"))
    assert a == AzToken("", 0) and b == AzToken("", 1)
    assert a != b and b == also_b
    assert found["Group"].props["AvailabilityZones"] == [AzToken("", 0), AzToken("", 1), AzToken("", 2)]
    assert resources(GETAZS, region="eu-west-1")["A"].props["AvailabilityZone"] == AzToken("eu-west-1", 0)


def test_getatt_of_an_echoed_attribute_is_the_property_else_a_reference() -> None:
    found = resources(GETAZS + """
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      VpcId: !GetAtt B.VpcId
      GroupDescription: !GetAtt B.SubnetId
  Loop:
    Type: AWS::EC2::Subnet
    Properties:
      AvailabilityZone: !GetAtt Loop.AvailabilityZone
""")
    instance = found["Instance"]
    assert instance.props == {"AvailabilityZone": AzToken("", 1), "SubnetId": Ref("B")}
    assert str(instance.origins["AvailabilityZone"]) == "B.AvailabilityZone is B's AvailabilityZone property (stack.yaml:10)"
    assert found["Sg"].props == {"VpcId": Ref("B", "VpcId"), "GroupDescription": Ref("B", "SubnetId")}  # B has no VpcId
    assert found["Loop"].props == {"AvailabilityZone": Ref("Loop", "AvailabilityZone")}
    # The graph still has the edge through GetAtt even when the value is resolved.
    assert ("AvailabilityZone", "B", "AvailabilityZone") in instance.meta.references


def test_sub_join_split_select_length() -> None:
    found = resources("""
        Parameters:
          Base: {Type: String, Default: "10.0"}
          Csv: {Type: String, Default: "a,b,c"}
        Resources:
          T:
            Type: AWS::SNS::Topic
            Properties:
              TopicName: !Sub ["${Base}.0.0/${Bits}", {Bits: 16}]
              DisplayName: !Join ["-", [x, !Select [2, !Split [",", !Ref Csv]]]]
              Literal: !Sub "${!NotAVariable}"
              Count: !Length [1, 2, 3]
              Unknown: !Join ["-", [x, !Ref AWS::StackName]]
    """)
    assert found["T"].props == {"TopicName": "10.0.0.0/16", "DisplayName": "x-c", "Literal": "${NotAVariable}",
                                "Count": 3, "Unknown": UNKNOWN}


def test_sam_globals_apply_to_serverless_resources_with_their_lines() -> None:
    found = resources("""
        Transform: AWS::Serverless-2016-10-31
        Globals:
          Function:
            Runtime: python3.12
            Timeout: 30
            VpcConfig:
              SubnetIds: [subnet-a]
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              Timeout: 5
              VpcConfig:
                SecurityGroupIds: [sg-1]
          Plain:
            Type: AWS::Lambda::Function
            Properties:
              Handler: app.handler
    """)
    fn = found["Fn"]
    assert fn.props == {"Runtime": "python3.12", "Timeout": 5, "Handler": "app.handler",
                        "VpcConfig": {"SubnetIds": ["subnet-a"], "SecurityGroupIds": ["sg-1"]}}
    assert fn.lines["Runtime"] == 5 and fn.lines["Timeout"] == 14  # Globals' line unless the resource sets it
    assert found["Plain"].props == {"Handler": "app.handler"}


def test_sam_globals_lists_are_concatenated_and_intrinsics_replace() -> None:
    """The SAM translator's merge: Globals list entries come first, then the resource's; an
    intrinsic function is a value of its own (the resource's replaces the Globals map)."""
    found = resources("""
        Transform: AWS::Serverless-2016-10-31
        Parameters:
          Subnets: {Type: CommaDelimitedList, Default: "subnet-c,subnet-d"}
        Globals:
          Function:
            Layers: [arn:aws:lambda:us-east-1:123456789012:layer:base:1]
            VpcConfig:
              SubnetIds: [subnet-a]
              SecurityGroupIds: [sg-1]
        Resources:
          Two:
            Type: AWS::Serverless::Function
            Properties:
              Layers: [arn:aws:lambda:us-east-1:123456789012:layer:extra:2]
              VpcConfig:
                SubnetIds: [subnet-b]
          Own:
            Type: AWS::Serverless::Function
            Properties:
              VpcConfig:
                SubnetIds: !Ref Subnets
    """)
    two = found["Two"].props
    assert two["Layers"] == ["arn:aws:lambda:us-east-1:123456789012:layer:base:1",
                             "arn:aws:lambda:us-east-1:123456789012:layer:extra:2"]
    assert two["VpcConfig"] == {"SubnetIds": ["subnet-a", "subnet-b"], "SecurityGroupIds": ["sg-1"]}
    assert found["Own"].props["VpcConfig"] == {"SubnetIds": ["subnet-c", "subnet-d"], "SecurityGroupIds": ["sg-1"]}


def test_a_false_condition_means_the_resource_is_not_created() -> None:
    found = resources("""
        Parameters:
          Env: {Type: String, Default: dev}
        Conditions:
          IsProd: !Equals [!Ref Env, prod]
        Resources:
          Replica:
            Type: AWS::RDS::DBInstance
            Condition: IsProd
            Properties: {MultiAZ: false}
    """)
    assert found == {}


def test_parameter_files_in_both_forms_with_lines(tmp_path: Path) -> None:
    cli = tmp_path / "params.json"
    cli.write_text(json.dumps([{"ParameterKey": "MultiAz", "ParameterValue": "false"},
                               {"ParameterKey": "Env", "UsePreviousValue": True}], indent=2))
    found = read_parameter_file(cli, "params.json")
    assert found["MultiAz"] == ("false", Origin("params.json sets parameter MultiAz to 'false'", "params.json", 4))
    assert found["Env"][0] is None  # the previous value: unknown
    pipeline = tmp_path / "config.json"
    pipeline.write_text('{\n  "Parameters": {\n    "MultiAz": true,\n    "Port": 5432\n  },\n  "Tags": {}\n}\n')
    assert {k: v for k, (v, _) in read_parameter_file(pipeline).items()} == {"MultiAz": "true", "Port": "5432"}
    deploy = tmp_path / "overrides.json"
    deploy.write_text('["MultiAz=false", "Env=prod"]')
    assert {k: v for k, (v, _) in read_parameter_file(deploy).items()} == {"MultiAz": "false", "Env": "prod"}
    db = resources(DB, parameters={"MultiAz": "false", "Env": None},
                   parameter_origins={"MultiAz": found["MultiAz"][1]})["Db"]
    assert db.get("multi_az").why() == " (params.json sets parameter MultiAz to 'false' (params.json:4))"
    assert db.props["BackupRetentionPeriod"] == Choice((("condition IsProd true", 30), ("condition IsProd false", 0)))


def test_bad_parameter_file_is_one_error_and_the_cli_parameter_wins(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"Parameters": [1, 2')
    with pytest.raises(LoadFailure):
        read_parameter_file(bad)
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"MultiAz": "false"}')
    good = tmp_path / "good.json"
    good.write_text('{"Parameters": {"MultiAz": "false", "Env": "prod"}}')
    errors: list = []
    values, origins = parameter_overrides([str(bad), str(wrong), str(good)], {"Env": "dev"}, errors)
    assert [e.file for e in errors] == [str(bad), str(wrong)]
    assert values == {"MultiAz": "false", "Env": "dev"} and set(origins) == {"MultiAz"}


NESTED_PARENT = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Stage: {Type: String, Default: staging}
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  Data:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: child.yaml
      Parameters:
        Stage: !Ref Stage
        VpcId: !Ref Vpc
        MultiAz: false
  Remote:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: !Sub "https://${AWS::Region}.example.com/child.yaml"
"""

NESTED_CHILD = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Stage: {Type: String}
  VpcId: {Type: String}
  MultiAz: {Type: String, Default: "true"}
Resources:
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      MultiAZ: !Ref MultiAz
      DBName: !Ref Stage
      DBSubnetGroupName: !Ref VpcId
"""


def test_nested_stack_gets_the_parents_values_and_is_its_own_workload(tmp_path: Path) -> None:
    (tmp_path / "parent.yaml").write_text(NESTED_PARENT)
    (tmp_path / "child.yaml").write_text(NESTED_CHILD)
    result = scan(ScanSettings(paths=[str(tmp_path)], jobs=1), [])
    arch = result.architecture
    assert result.errors == []
    # An HTTPS TemplateURL on a server of its own has no local copy: not judged, and said so.
    (warning,) = result.warnings
    assert warning.code == "nested-stack" and "Remote" in warning.message and "not judged" in warning.message
    assert set(arch.workloads) == {str(tmp_path / "parent.yaml"), f"{tmp_path / 'parent.yaml'} > Data"}
    (db,) = [r for r in arch.resources if r.address == "Db"]
    assert db.file == str(tmp_path / "child.yaml")
    assert db.props == {"MultiAZ": "false", "DBName": "staging", "DBSubnetGroupName": UNKNOWN}  # a parent Ref means nothing here
    assert str(db.origins["DBName"]).startswith(f"parameter Stage defaults to 'staging' ({tmp_path / 'parent.yaml'}:4) -> stack Data passes Stage")
    stack = arch.lookup(str(tmp_path / "parent.yaml"), "Data")[0]
    assert isinstance(stack.meta.nested_stack, NestedStack)
    assert arch.lookup(str(tmp_path / "parent.yaml"), "Remote")[0].meta.nested_stack.remote


def test_cdk_nested_stack_is_found_through_its_asset_path(tmp_path: Path) -> None:
    # CDK writes the S3 URL of the uploaded asset; the template sits next to the parent in cdk.out.
    parent = {"Resources": {"DbNestedStackDbNestedStackResourceA1B2C3D4": {
        "Type": "AWS::CloudFormation::Stack",
        "Properties": {"Parameters": {"MultiAz": "true"}, "TemplateURL": {"Fn::Join": ["", [
            "https://s3.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}, "/cdk-assets/abc123.json"]]}},
        "Metadata": {"aws:cdk:path": "Parent/Db.NestedStack/Db.NestedStackResource",
                     "aws:asset:path": "ParentDb1A2B3C4D.nested.template.json", "aws:asset:property": "TemplateURL"}}}}
    child = {"Parameters": {"MultiAz": {"Type": "String", "Default": "false"}},
             "Resources": {"Db": {"Type": "AWS::RDS::DBInstance", "Properties": {
                 "Engine": "postgres", "DBInstanceClass": "db.t3.micro", "MultiAZ": {"Ref": "MultiAz"}}}}}
    (tmp_path / "Parent.template.json").write_text(json.dumps(parent, indent=1))
    (tmp_path / "ParentDb1A2B3C4D.nested.template.json").write_text(json.dumps(child, indent=1))
    rules = [cls() for cls in select(all_rules(), ["HA101"], None)]
    result = scan(ScanSettings(paths=[str(tmp_path)], jobs=1), rules)
    assert result.errors == [] and result.findings == []  # the parent passes MultiAz = true
    (db,) = [r for r in result.architecture.resources if r.address == "Db"]
    assert db.props["MultiAZ"] == "true"


def test_child_template_alone_is_resolved_on_its_defaults(tmp_path: Path) -> None:
    (tmp_path / "child.yaml").write_text(NESTED_CHILD)
    result = scan(ScanSettings(paths=[str(tmp_path / "child.yaml")], jobs=1), [])
    (db,) = result.architecture.resources
    assert db.props["MultiAZ"] == "true"


def test_a_template_nested_twice_gives_one_finding_per_distinct_message(tmp_path: Path) -> None:
    parent = NESTED_PARENT.replace("  Remote:", "  Again:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n"
                                   "      TemplateURL: ./child.yaml\n      Parameters: {MultiAz: 'true'}\n  Remote:")
    (tmp_path / "parent.yaml").write_text(parent)
    (tmp_path / "child.yaml").write_text(NESTED_CHILD)
    rules = [cls() for cls in select(all_rules(), ["HA101"], None)]
    result = scan(ScanSettings(paths=[str(tmp_path)], jobs=1), rules)
    assert [(f.resource, f.line) for f in result.findings] == [("Db", 11)]  # only the Data instance is single-AZ


def test_references_from_graph_edges_survive_resolution() -> None:
    found = resources(GETAZS)
    arch = Architecture([], found.values())
    assert arch.targets(found["Instance"]) == [found["B"]]


def test_resolution_is_linear_in_template_size() -> None:
    """A large generated template (many resources, each through parameters, a mapping and a
    condition) resolves in about a second per thousand resources (loading is cfn-lint's)."""
    params = "\n".join(f"  P{i}: {{Type: String, Default: 'false'}}" for i in range(300))
    body = "\n".join(
        f"  Db{i}:\n    Type: AWS::RDS::DBInstance\n    Properties:\n"
        f"      MultiAZ: !If [C, !Ref P{i % 300}, !FindInMap [M, k, v]]\n"
        f"      DBName: !Join ['-', [!Select [0, !Split [',', 'a,b']], !Sub '${{P{i % 300}}}']]"
        for i in range(2000))
    text = f"Parameters:\n{params}\nMappings:\n  M: {{k: {{v: 'true'}}}}\nConditions:\n  C: !Equals [!Ref P1, 'true']\nResources:\n{body}\n"
    tpl = load(text, "big.yaml")
    started = time.perf_counter()
    _, found = resolve(tpl, CfnSettings())
    assert time.perf_counter() - started < 8
    db7 = next(r for r in found if r.address == "Db7")
    assert len(found) == 2000 and db7.props == {"MultiAZ": "true", "DBName": "a-false"}


def test_cli_wires_parameter_files_and_region(tmp_path: Path) -> None:
    from conftest import FIXTURES, CliRun, run_cli

    case = FIXTURES / "resolve" / "cfn_parameter_file_cli"

    def run(*args: str) -> CliRun:
        return run_cli(*args, "--no-cache", "--select", "HA101", "--format", "json")

    with_file = run(str(case / "inventory.yaml"), "--parameter-file", str(case / "params.json"))
    assert with_file.returncode == 1, with_file.stderr
    (finding,) = json.loads(with_file.stdout)["findings"]
    assert finding["trace"] == [{"file": str(case / "params.json"), "line": 4,
                                 "text": "params.json sets parameter DbMultiAz to 'false'"}]
    # the message names the file without its absolute path
    assert "(params.json sets parameter DbMultiAz to 'false' (.../cfn_parameter_file_cli/params.json:4))" in finding["message"]
    assert run(str(case / "inventory.yaml")).returncode == 0  # the template's own default is Multi-AZ
    missing = run(str(case / "inventory.yaml"), "--parameter-file", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "--parameter-file" in missing.stderr
    region = FIXTURES / "resolve" / "cfn_region_known" / "analytics.yaml"
    assert run(str(region), "--region", "eu-west-1").returncode == 1
    assert run(str(region), "--region", "us-east-1").returncode == 0


def test_sam_application_with_a_local_location_is_a_nested_stack(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(textwrap.dedent("""
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Orders:
            Type: AWS::Serverless::Application
            Properties:
              Location: ./child.yaml
              Parameters: {MultiAz: "false", Stage: prod}
          FromRepo:
            Type: AWS::Serverless::Application
            Properties:
              Location: {ApplicationId: "arn:aws:serverlessrepo:us-east-1:123456789012:applications/x", SemanticVersion: 1.0.0}
    """))
    (tmp_path / "child.yaml").write_text(NESTED_CHILD)
    result = scan(ScanSettings(paths=[str(tmp_path)], jobs=1), [])
    (db,) = [r for r in result.architecture.resources if r.address == "Db"]
    assert db.props["MultiAZ"] == "false" and db.workload == f"{tmp_path / 'app.yaml'} > Orders"
    assert result.warnings == []


def test_fn_if_over_a_whole_block_is_read_through_by_the_model() -> None:
    """A property block chosen by an undecidable Fn::If: the nested setting is a Choice of
    what each branch holds there, AWS::NoValue's branch having the provider default."""
    found = resources("""
        Parameters:
          Stage: {Type: String}
        Conditions:
          IsProd: !Equals [!Ref Stage, prod]
        Resources:
          Table:
            Type: AWS::DynamoDB::Table
            Properties:
              PointInTimeRecoverySpecification: !If
                - IsProd
                - PointInTimeRecoveryEnabled: true
                - !Ref AWS::NoValue
          Same:
            Type: AWS::DynamoDB::Table
            Properties:
              PointInTimeRecoverySpecification: !If
                - IsProd
                - PointInTimeRecoveryEnabled: true
                - PointInTimeRecoveryEnabled: "true"
    """)
    pitr = found["Table"].get("pitr")
    assert pitr.present and pitr.value == Choice((("condition IsProd true", True), ("condition IsProd false", False)))
    assert bad_branches(pitr.value, lambda v: as_bool(v) is not True) == ["condition IsProd false"]
    assert bad_branches(found["Same"].get("pitr").value, lambda v: as_bool(v) is not True) == []


def test_fn_cidr_carves_consecutive_blocks() -> None:
    found = resources("""
        Parameters:
          Cidr: {Type: String, Default: 10.0.0.0/16}
        Resources:
          Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: !Ref Cidr}}
          Subnet:
            Type: AWS::EC2::Subnet
            Properties:
              CidrBlock: !Select [2, !Cidr [!GetAtt Vpc.CidrBlock, 6, 8]]
              Ipv6CidrBlock: !Select [1, !Cidr ["2001:db8::/56", 3, 64]]
              TooMany: !Cidr [!Ref Cidr, 300, 8]
              TooBig: !Cidr ["10.0.0.0/24", 2, 8]
    """)
    assert found["Subnet"].props == {"CidrBlock": "10.0.2.0/24", "Ipv6CidrBlock": "2001:db8:0:1::/64",
                                     "TooMany": UNKNOWN, "TooBig": UNKNOWN}


def test_fn_foreach_makes_its_resources_with_their_lines() -> None:
    found = resources("""
        Transform: AWS::LanguageExtensions
        Parameters:
          Names: {Type: CommaDelimitedList, Default: "a-1,b-2"}
          Unknown: {Type: CommaDelimitedList}
        Resources:
          Fn::ForEach::Queues:
            - Name
            - !Ref Names
            - Fn::ForEach::Kinds:
                - Kind
                - [Main, Dead]
                - Queue&{Name}${Kind}:
                    Type: AWS::SQS::Queue
                    Properties:
                      QueueName: !Sub "${Name}-${Kind}"
                      Tier: !Ref Kind
          Fn::ForEach::Never:
            - Name
            - !Ref Unknown
            - Topic${Name}:
                Type: AWS::SNS::Topic
          Plain:
            Type: AWS::SNS::Topic
            Properties:
              TopicName: !GetAtt [Queuea1Main, QueueName]
    """)
    assert sorted(found) == ["Plain", "Queuea1Dead", "Queuea1Main", "Queueb2Dead", "Queueb2Main"]
    queue = found["Queueb2Dead"]
    assert queue.props == {"QueueName": "b-2-Dead", "Tier": "Dead"}
    assert queue.line == 13 and queue.lines["QueueName"] == 16
    assert found["Plain"].props == {"TopicName": "a-1-Main"}  # an echoed attribute of a generated resource
