"""CloudFormation as teams deploy it: stacks declared in the configuration, CDK cloud
assemblies, Fn::ImportValue across stacks, one application per connected set, per-AZ stacks,
S3 TemplateURLs, parameter values that go nowhere."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from conftest import FIXTURES, run_cli
from helpers import ha_lint
from ha_lint.engine import all_rules, select
from ha_lint.queries.stacks import az_replicas
from ha_lint.scan import ScanSettings, scan
from ha_lint.stacks import StackConfigError, parse_config
from ha_lint.values import Ref

CDK_APP = FIXTURES / "stacks" / "cdk-app"
PER_AZ = FIXTURES / "stacks" / "per-az"


def _json(*args: str) -> tuple[int, dict]:
    run = run_cli(*args) if args[0] in ("resilience", "graph") else ha_lint(*args)
    assert run.returncode != 2, run.stderr
    return run.returncode, json.loads(run.stdout)


def _rules(*ids: str) -> list:
    return [cls() for cls in select(all_rules(), list(ids), None)]


# -- a CDK cloud assembly of two stacks -------------------------------------------------------


def test_cdk_service_depends_on_the_database_its_data_stack_exports() -> None:
    _, model = _json("resilience", "--format", "json", "--no-findings", str(CDK_APP))
    (workload,) = model["workloads"]  # one application, not two unrelated stacks
    assert workload["id"] == "application of stacks DataStack, orders-service"
    assert workload["file"].endswith("cdk.out/DataStack.template.json")
    assert {(d["from"], d["to"]) for d in workload["dependencies"]} == {("Handler", "Database")}
    components = {c["address"]: c for c in workload["components"]}
    assert components["Handler"]["file"].endswith("ServiceStack.template.json")
    assert components["Database"]["region"] == "eu-west-1"  # the CDK environment's Region


def test_cdk_graph_has_the_edge_across_stacks() -> None:
    result = scan(ScanSettings(paths=[str(CDK_APP)], jobs=1), [])
    arch = result.architecture
    (handler,) = [r for r in arch.resources if r.address == "Handler"]
    (database,) = [r for r in arch.resources if r.address == "Database"]
    assert handler.workload != database.workload
    assert [(t.uid, d["prop"]) for t, d in arch.out_edges(handler)] == [(database.uid, "Environment.Variables.DB_HOST")]
    value = handler.props["Environment"]["Variables"]["DB_HOST"]
    assert value == Ref("Database", "Endpoint.Address", database.workload)
    assert str(handler.origins["Environment.Variables.DB_HOST"]).startswith(
        "exported by stack DataStack as 'DataStack:ExportsOutputFnGetAttDatabaseEndpointAddress'")
    graph = run_cli("graph", "--format", "json", str(CDK_APP))
    assert graph.returncode == 0, graph.stderr
    assert {"from": "Handler", "to": "Database", "via": "Environment.Variables.DB_HOST"} in \
        json.loads(graph.stdout)["workloads"][0]["dependencies"]


def test_cdk_app_gets_one_dr306_naming_its_stacks_and_a_warning_for_the_unknown_import() -> None:
    _, report = _json("--format", "json", "--select", "DR306", str(CDK_APP))
    (finding,) = report["findings"]
    assert finding["file"].endswith("cdk.out/DataStack.template.json")
    assert finding["message"].startswith("Application of stacks DataStack, orders-service has no multi-Region")
    assert report["warnings"] == [{
        "code": "import-unresolved", "file": str(CDK_APP / "cdk.out" / "ServiceStack.template.json"), "line": 13,
        "message": "Fn::ImportValue 'SharedStack:QueueUrl': no scanned stack exports it; the imported value is unknown"}]


def test_cdk_nested_assembly_stages_are_read_and_region_order_is_cli_over_cdk(tmp_path: Path) -> None:
    out = tmp_path / "cdk.out"
    shutil.copytree(CDK_APP / "cdk.out", out / "assembly-Prod")
    (out / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {
        "assembly-Prod": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "assembly-Prod",
                                                                        "displayName": "Prod"}}}}))
    result = scan(ScanSettings(paths=[str(tmp_path)], jobs=1), [])
    assert result.errors == []
    names = sorted(w.metadata["_ha_lint_stack"].name for w in result.architecture.workloads.values())
    assert names == ["DataStack", "orders-service"]
    (database,) = [r for r in result.architecture.resources if r.address == "Database"]
    assert database.meta.region == "eu-west-1"
    result = scan(ScanSettings(paths=[str(tmp_path)], jobs=1, region="us-east-2"), [])
    (database,) = [r for r in result.architecture.resources if r.address == "Database"]
    assert database.meta.region == "us-east-2"


def test_a_broken_cdk_manifest_is_one_error_naming_it(tmp_path: Path) -> None:
    shutil.copytree(CDK_APP / "cdk.out", tmp_path / "cdk.out")
    (tmp_path / "cdk.out" / "manifest.json").write_text('{"version": "36.0.0", "artifacts": {')
    result = scan(ScanSettings(paths=[str(tmp_path)], jobs=1), [])
    assert [(Path(e.file).name, e.message.split(":")[0]) for e in result.errors] == \
        [("manifest.json", "CDK cloud assembly manifest is not valid JSON")]
    assert len(result.architecture.workloads) == 2  # its templates are still judged, each on its own


# -- stacks: in the configuration -------------------------------------------------------------


def test_per_az_nat_stacks_are_one_component_and_not_single_points_of_failure() -> None:
    code, report = _json("--format", "json", str(PER_AZ))
    assert code == 0
    assert [(f["rule_id"], Path(f["file"]).name) for f in report["findings"]] == [("DR306", "vpc.yaml")]
    assert report["findings"][0]["message"].startswith("Application of stacks vpc, database, nat-a, nat-b, nat-c ")
    assert report["warnings"] == []
    _, model = _json("resilience", "--format", "json", "--no-findings", str(PER_AZ))
    (workload,) = model["workloads"]
    nat = [c for c in workload["components"] if c["address"] == "AutoScalingGroup"]
    assert len(nat) == 1 and len(nat[0]["azs"]) == 3  # one component spanning the three AZs


def test_without_the_stacks_the_same_templates_are_judged_on_their_defaults() -> None:
    _, report = _json("--format", "json", "--no-config", "--select", "HA104,HA105", str(PER_AZ))
    assert sorted((f["rule_id"], Path(f["file"]).name) for f in report["findings"]) == \
        [("HA104", "nat.yaml"), ("HA105", "nat.yaml")]
    assert {w["code"] for w in report["warnings"]} == {"import-unresolved"}


def test_stacks_that_differ_in_more_than_placement_are_judged_one_by_one(tmp_path: Path) -> None:
    shutil.copytree(PER_AZ, tmp_path / "app")
    config = tmp_path / "app" / ".ha-lint.yml"
    config.write_text(config.read_text().replace("{ParentVPCStack: vpc, SubnetZone: C}",
                                                 "{ParentVPCStack: other-vpc, SubnetZone: C}"))
    (tmp_path / "app" / "other.yaml").write_text((PER_AZ / "vpc.yaml").read_text())
    config.write_text(config.read_text() + "  - name: other-vpc\n    template: other.yaml\n    region: eu-west-1\n")
    result = scan(_settings(tmp_path / "app"), _rules("HA104", "HA105"))
    assert result.warnings == []
    assert all(not az_replicas(result.architecture, r) for r in result.architecture.resources)
    assert sorted(f.rule_id for f in result.findings) == ["HA104", "HA104", "HA104", "HA105"]  # one message for HA105


def _settings(directory: Path, **extra) -> ScanSettings:
    from ha_lint.config import load

    cfg = load(directory / ".ha-lint.yml")
    return ScanSettings(paths=[str(directory)], jobs=1, stacks=list(cfg.stacks), **extra)


def test_ha103_is_judged_on_the_subnets_the_database_imports(tmp_path: Path) -> None:
    shutil.copytree(PER_AZ, tmp_path / "app")
    vpc = tmp_path / "app" / "vpc.yaml"
    vpc.write_text(vpc.read_text().replace("[!Ref SubnetAPrivate, !Ref SubnetBPrivate, !Ref SubnetCPrivate]",
                                           "[!Ref SubnetAPrivate]"))
    result = scan(_settings(tmp_path / "app"), _rules("HA103"))
    (finding,) = result.findings
    assert (finding.rule_id, finding.resource, Path(finding.file).name) == ("HA103", "DBSubnetGroup", "database.yaml")
    good = scan(_settings(PER_AZ), _rules("HA103"))
    assert good.findings == []
    (group,) = [r for r in good.architecture.resources if r.address == "DBSubnetGroup"]
    subnets = group.props["SubnetIds"]
    assert [s.address for s in subnets] == ["SubnetAPrivate", "SubnetBPrivate", "SubnetCPrivate"]
    assert str(group.origins["SubnetIds"]).startswith("stack database sets parameter ParentVPCStack to 'vpc'")
    assert "exported by stack vpc as 'vpc-SubnetsPrivate'" in str(group.origins["SubnetIds"])


def test_a_template_listed_in_stacks_is_never_judged_on_its_defaults(tmp_path: Path) -> None:
    (tmp_path / "db.yaml").write_text(
        "Parameters:\n  MultiAz: {Type: String, Default: 'false'}\n  Size: {Type: String}\n"
        "Resources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\n"
        "      MultiAZ: !Ref MultiAz\n      AllocatedStorage: !Ref Size\n")
    (tmp_path / ".ha-lint.yml").write_text(
        "stacks:\n  - name: prod-db\n    template: db.yaml\n    parameters: {MultiAz: true, Unused: 1}\n"
        "  - name: test-db\n    template: db.yaml\n    parameter-file: test.json\n")
    (tmp_path / "test.json").write_text('[{"ParameterKey": "MultiAz", "ParameterValue": "false"},'
                                        ' {"ParameterKey": "Size", "ParameterValue": "20"}]')
    result = scan(_settings(tmp_path), _rules("HA101"))
    assert result.errors == []
    (finding,) = result.findings  # test-db only: prod-db is Multi-AZ, and the defaults are not a stack
    assert "parameter MultiAz" in finding.message and "test.json" in finding.message
    assert {w.workload for w in result.architecture.resources} == {
        f"{tmp_path / 'db.yaml'} (stack prod-db)", f"{tmp_path / 'db.yaml'} (stack test-db)"}
    warnings = sorted((w.code, w.message, w.line) for w in result.warnings)
    assert warnings == [
        ("parameter-unknown", f"stack prod-db: parameter Unused set for {tmp_path / 'db.yaml'}, which has no such "
         "parameter; ignored", 2),
        ("parameter-unset", f"stack prod-db: parameter Size of {tmp_path / 'db.yaml'} has no default and no value; "
         "unknown", 2)]


def test_parameter_keys_that_match_no_template_are_a_warning(tmp_path: Path) -> None:
    (tmp_path / "db.yaml").write_text("Parameters:\n  Size: {Type: String}\n  Name: {Type: String}\nResources:\n"
                                      "  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n"
                                      "      AllocatedStorage: !Ref Size\n")
    result = scan(ScanSettings(paths=[str(tmp_path)], jobs=1, parameters={"Sise": "20", "Size": "30"}), [])
    assert sorted((w.code, w.message) for w in result.warnings) == [
        ("parameter-unknown", "parameter Sise (--parameter/--parameter-file) matches no parameter of the scanned "
         "templates; ignored"),
        ("parameter-unset", "parameter Name has no default and no value (--parameter/--parameter-file); unknown")]


def test_bad_stacks_entries_are_configuration_errors(tmp_path: Path) -> None:
    for entries, key in (("[{name: a}]", "stacks[0].template"), ("[{name: 1a, template: x.yaml}]", "stacks[0].name"),
                         ("[{name: a, template: x.yaml, params: {}}]", "stacks[0].params"),
                         ("[{name: a, template: x.yaml}, {name: a, template: y.yaml}]", "stacks[1].name"),
                         ("{a: 1}", "stacks")):
        try:
            import yaml

            parse_config(yaml.safe_load(entries), tmp_path, "cfg")
        except StackConfigError as exc:
            assert exc.key == key
        else:
            raise AssertionError(f"accepted {entries}")
    (tmp_path / ".ha-lint.yml").write_text("stacks:\n  - name: a\n")
    (tmp_path / "t.yaml").write_text("Resources: {}\n")
    run = ha_lint(str(tmp_path))
    assert run.returncode == 2 and "stacks[0].template" in run.stderr


def test_a_missing_stack_template_is_an_error_naming_the_configuration(tmp_path: Path) -> None:
    (tmp_path / ".ha-lint.yml").write_text("stacks:\n  - name: gone\n    template: gone.yaml\n")
    result = scan(_settings(tmp_path), [])
    assert [(e.file, e.line, e.message) for e in result.errors] == [
        (str(tmp_path / ".ha-lint.yml"), 2, f"stack gone: template {tmp_path / 'gone.yaml'} not found")]


def test_a_stack_is_at_its_own_name_line_not_the_first_line_that_looks_like_it(tmp_path: Path) -> None:
    """The line comes from the configuration's parse tree: a comment or another stack's
    parameter reading ``name: gone`` above the entry does not move it there."""
    (tmp_path / "api.yaml").write_text("Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n")
    (tmp_path / ".ha-lint.yml").write_text(
        "stacks:\n"
        "  # name: gone (kept until the template is restored)\n"
        "  - name: api\n"
        "    template: api.yaml\n"
        "    parameters:\n"
        "      name: gone\n"
        "  - template: gone.yaml\n"
        "    name: gone\n")
    result = scan(_settings(tmp_path), [])
    assert [(e.file, e.line, e.message) for e in result.errors] == [
        (str(tmp_path / ".ha-lint.yml"), 8, f"stack gone: template {tmp_path / 'gone.yaml'} not found")]
    assert {w.line for w in result.warnings if "stack api" in w.message} == {3}  # its unknown parameter: at api


# -- nested stacks whose TemplateURL is in S3 -------------------------------------------------

PARENT = """\
Resources:
  Data:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: {url}
      Parameters:
        MultiAz: 'true'
"""
CHILD = """\
Parameters:
  MultiAz: {Type: String, Default: 'false'}
Resources:
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      MultiAZ: !Ref MultiAz
"""


def test_s3_template_url_is_resolved_through_its_local_copy(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "db.yaml").write_text(CHILD)
    (tmp_path / "main.yaml").write_text(PARENT.format(
        url="!Sub 'https://${Bucket}.s3.${AWS::Region}.amazonaws.com/${Prefix}templates/db.yaml'"))
    result = scan(ScanSettings(paths=[str(tmp_path)], jobs=1), _rules("HA101"))
    assert result.findings == [] and result.warnings == []  # judged with MultiAz 'true', never on its default
    (db,) = [r for r in result.architecture.resources if r.address == "Db"]
    assert db.workload == f"{tmp_path / 'main.yaml'} > Data" and db.props["MultiAZ"] == "true"


def test_packaged_template_url_is_matched_by_its_md5(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "db.yaml").write_text(CHILD)
    digest = hashlib.md5(CHILD.encode()).hexdigest()
    (tmp_path / "packaged.yaml").write_text(PARENT.format(url=f"https://s3.eu-west-1.amazonaws.com/bucket/{digest}.template"))
    result = scan(ScanSettings(paths=[str(tmp_path / "packaged.yaml")], jobs=1), _rules("HA101"))
    assert result.findings == [] and result.warnings == []
    (db,) = [r for r in result.architecture.resources if r.address == "Db"]
    assert db.props["MultiAZ"] == "true"


def test_s3_template_url_without_a_local_copy_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "main.yaml").write_text(PARENT.format(url="https://s3.amazonaws.com/bucket/templates/db.yaml"))
    result = scan(ScanSettings(paths=[str(tmp_path)], jobs=1), _rules("HA101"))
    (warning,) = result.warnings
    assert (warning.code, warning.file, warning.line) == ("nested-stack", str(tmp_path / "main.yaml"), 5)
    assert "https://s3.amazonaws.com/bucket/templates/db.yaml" in warning.message and "not judged" in warning.message
    assert [r.address for r in result.architecture.resources] == ["Data"]


def test_a_parent_and_its_nested_stack_are_one_application_with_one_dr306(tmp_path: Path) -> None:
    (tmp_path / "main.yaml").write_text(PARENT.format(url="db.yaml") + "  Queue:\n    Type: AWS::SQS::Queue\n")
    (tmp_path / "db.yaml").write_text(CHILD)
    result = scan(ScanSettings(paths=[str(tmp_path)], jobs=1), _rules("DR306"))
    (finding,) = result.findings
    assert finding.file == str(tmp_path / "main.yaml")
    assert finding.message.startswith("Application of stacks main.yaml, main.yaml > Data has no multi-Region")


def test_an_export_name_two_scanned_stacks_give_stays_unknown(tmp_path: Path) -> None:
    export = "Outputs:\n  Id:\n    Value: !Ref Db\n    Export: {Name: shared-db}\n"
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(CHILD + export)
    (tmp_path / "user.yaml").write_text("Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n"
                                        "      Environment: {Variables: {DB: !ImportValue shared-db}}\n")
    result = scan(ScanSettings(paths=[str(tmp_path)], jobs=1), [])
    assert [(w.code, w.message, w.line) for w in result.warnings] == [
        ("import-unresolved", "Fn::ImportValue 'shared-db': several scanned stacks export this name; the imported value "
         "is unknown", 5)]
    (fn,) = [r for r in result.architecture.resources if r.address == "Fn"]
    assert list(result.architecture.out_edges(fn)) == []


def test_a_nested_stack_imports_what_another_scanned_stack_exports(tmp_path: Path) -> None:
    (tmp_path / "network.yaml").write_text(
        "Resources:\n  Subnet:\n    Type: AWS::EC2::Subnet\n    Properties: {VpcId: vpc-1, CidrBlock: 10.0.0.0/24,"
        " AvailabilityZone: eu-west-1a}\nOutputs:\n  Subnet:\n    Value: !Ref Subnet\n    Export: {Name: network-subnet}\n")
    (tmp_path / "main.yaml").write_text(PARENT.format(url="app.yaml"))
    (tmp_path / "app.yaml").write_text(
        "Parameters:\n  MultiAz: {Type: String}\nResources:\n  Group:\n    Type: AWS::AutoScaling::AutoScalingGroup\n"
        "    Properties:\n      MinSize: '2'\n      MaxSize: '4'\n      VPCZoneIdentifier: [!ImportValue network-subnet]\n")
    result = scan(ScanSettings(paths=[str(tmp_path)], jobs=1), _rules("HA104", "DR306"))
    assert result.warnings == []
    (group,) = [r for r in result.architecture.resources if r.address == "Group"]
    assert group.workload == f"{tmp_path / 'main.yaml'} > Data" and group.meta.nested_in.endswith("#Data")
    assert sorted((f.rule_id, Path(f.file).name) for f in result.findings) == [("DR306", "main.yaml"), ("HA104", "app.yaml")]
    (dr306,) = [f for f in result.findings if f.rule_id == "DR306"]  # the import joins network.yaml to the app
    assert dr306.message.startswith("Application of stacks main.yaml, main.yaml > Data, network.yaml has")


def test_a_declared_stacks_region_is_its_nested_stacks_region(tmp_path: Path) -> None:
    (tmp_path / "main.yaml").write_text(PARENT.format(url="db.yaml"))
    (tmp_path / "db.yaml").write_text(CHILD)
    (tmp_path / ".ha-lint.yml").write_text("stacks:\n  - {name: main, template: main.yaml, region: ap-south-1}\n")
    result = scan(_settings(tmp_path), [])
    assert {r.address: r.meta.region for r in result.architecture.resources} == {"Data": "ap-south-1", "Db": "ap-south-1"}


def test_dr307_is_judged_once_per_application() -> None:
    from ha_lint.graph import Options

    result = scan(_settings(PER_AZ, options=Options(rto_minutes=15, rpo_minutes=1)), _rules("DR307"))
    assert sorted((f.detail, Path(f.file).name) for f in result.findings) == [("rpo", "vpc.yaml"), ("rto", "vpc.yaml")]
    assert all(f.message.startswith("Application of stacks vpc, database, nat-a, nat-b, nat-c: ") for f in result.findings)


def test_scanning_one_template_of_a_cdk_assembly_judges_that_stack_only() -> None:
    service = CDK_APP / "cdk.out" / "ServiceStack.template.json"
    result = scan(ScanSettings(paths=[str(service)], jobs=1), _rules("DR306"))
    (workload,) = result.architecture.workloads.values()
    assert workload.metadata["_ha_lint_stack"].name == "orders-service"  # still a CDK stack: its name is known
    assert [r.address for r in result.architecture.resources] == ["Handler"]
    assert {w.code for w in result.warnings} == {"import-unresolved"}  # DataStack is not scanned: its export is unknown
