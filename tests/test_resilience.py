"""The resilience model on the fixture workloads: verdicts per scenario, in both languages."""

from __future__ import annotations

import json
import re

import pytest

from conftest import FIXTURES, run_cli
from ha_lint.config import ConfigError, parse
from ha_lint.resilience.assumptions import DEFAULTS, INFINITE, AssumptionError, table
from ha_lint.resilience.model import DEGRADED, DOWN, FAILS_OVER, UNAFFECTED, analyse
from ha_lint.scan import ScanSettings, scan

WORKLOADS = FIXTURES / "workloads"
# (fixture, language) -> names of the components in the order: entry, compute, data
NAMES = {
    "cfn": {"lb": "LoadBalancer", "asg": "AppGroup", "db": "Database"},
    "tf": {"lb": "aws_lb.web", "asg": "aws_autoscaling_group.app", "db": "aws_db_instance.db"},
}


def model_of(path, **settings):
    result = scan(ScanSettings(paths=[str(path)], jobs=1, **settings), [])
    assert result.errors == []
    models = analyse(result.architecture)
    assert len(models) == 1
    return models[0]


def verdicts(model, scenario):
    return {c.address: model.scenarios[scenario].outcomes[c.uid].verdict for c in model.components}


@pytest.mark.parametrize("lang", ["cfn", "tf"])
def test_three_tier_single_az(lang):
    m = model_of(WORKLOADS / "three_tier_single_az" / lang)
    n = NAMES[lang]
    assert [s.kind for s in m.scenarios] == ["az", "az", "region"]
    # losing the AZ that holds the app and the database takes everything down
    assert verdicts(m, 0) == {n["lb"]: DOWN, n["asg"]: DOWN, n["db"]: DOWN}
    lb = m.scenarios[0].outcomes[m.component(n["lb"]).uid]
    assert lb.cause == n["asg"]  # down because its targets are, not by itself
    assert m.scenarios[0].rto == (60, 240) and m.scenarios[0].rpo == 5  # restore from backups, PITR
    # the other AZ only costs the load balancer a node
    assert verdicts(m, 1) == {n["lb"]: DEGRADED, n["asg"]: UNAFFECTED, n["db"]: UNAFFECTED}
    assert m.scenarios[1].rto == (0, 0)
    assert verdicts(m, 2) == {n["lb"]: DOWN, n["asg"]: DOWN, n["db"]: DOWN}
    assert m.scenarios[2].rpo == INFINITE
    assert {(s.component.address, s.rule) for s in m.spofs} == {(n["asg"], "HA104"), (n["db"], "HA101")}
    assert m.posture.strategy == "backup-restore"
    assert {x.objective for x in m.misses} == {"rto", "rpo"}
    assert (m.component(n["lb"]).uid, m.component(n["asg"]).uid) in {(a, b) for a, b, _ in m.dependencies}
    assert (m.component(n["asg"]).uid, m.component(n["db"]).uid) in {(a, b) for a, b, _ in m.dependencies}


@pytest.mark.parametrize("lang", ["cfn", "tf"])
def test_three_tier_multi_az(lang):
    m = model_of(WORKLOADS / "three_tier_multi_az" / lang)
    n = NAMES[lang]
    for index in (0, 1):
        assert verdicts(m, index) == {n["lb"]: DEGRADED, n["asg"]: DEGRADED, n["db"]: FAILS_OVER}
        assert m.scenarios[index].rto == (1, 2) and m.scenarios[index].rpo == 0  # RDS Multi-AZ failover
    assert verdicts(m, 2) == {n["lb"]: DOWN, n["asg"]: DOWN, n["db"]: DOWN}
    assert m.spofs == []
    # AZs as resolved: positions in the Region's AZ list count as distinct AZs
    assert [s.target for s in m.scenarios[:2]] == sorted(s.target for s in m.scenarios[:2])
    # ... named by the expression that picks them, in the template's own language
    picks = {"cfn": ("!Select [0, !GetAZs", "!Select [1, !GetAZs"), "tf": (".names[0]", ".names[1]")}[lang]
    assert all(pick in s.target for pick, s in zip(picks, m.scenarios[:2]))


def test_warm_standby_cloudformation():
    m = model_of(WORKLOADS / "warm_standby" / "cfn")
    assert m.posture.strategy == "warm-standby"
    assert [s.label for s in m.scenarios] == ["loss of any one AZ", "loss of the Region"]
    assert verdicts(m, 0) == {"LoadBalancer": DEGRADED, "AppGroup": DEGRADED, "OrdersTable": UNAFFECTED,
                              "PrimaryRecord": UNAFFECTED, "StandbyRecord": UNAFFECTED}
    assert verdicts(m, 1) == {"LoadBalancer": FAILS_OVER, "AppGroup": FAILS_OVER, "OrdersTable": FAILS_OVER,
                              "PrimaryRecord": FAILS_OVER, "StandbyRecord": UNAFFECTED}
    region = m.scenarios[1]
    assert region.outcomes[m.component("PrimaryRecord").uid].assumption.key == "route53-failover"
    assert region.outcomes[m.component("OrdersTable").uid].assumption.key == "dynamodb-global-table"
    assert region.rto[0] <= 15 and region.rpo <= 5
    assert m.misses == []  # 15m / 5m / warm standby declared in Metadata: met


def test_warm_standby_terraform():
    m = model_of(WORKLOADS / "warm_standby" / "tf")
    assert m.posture.strategy == "warm-standby"
    labels = [s.label for s in m.scenarios]
    assert labels == ["loss of any one AZ", "loss of Region us-east-1", "loss of Region us-west-2"]
    primary = verdicts(m, 1)
    assert primary == {"aws_dynamodb_table.orders": FAILS_OVER, "aws_lb.primary": FAILS_OVER,
                       "aws_autoscaling_group.primary": FAILS_OVER, "aws_lb.standby": UNAFFECTED,
                       "aws_autoscaling_group.standby": UNAFFECTED, "aws_route53_record.primary": FAILS_OVER,
                       "aws_route53_record.standby": UNAFFECTED}
    standby = verdicts(m, 2)
    assert standby["aws_lb.standby"] == DOWN and standby["aws_autoscaling_group.standby"] == DOWN
    assert standby["aws_route53_record.standby"] == DEGRADED
    assert standby["aws_lb.primary"] == UNAFFECTED and standby["aws_dynamodb_table.orders"] == UNAFFECTED
    assert m.scenarios[2].rto == (2.5, 3) or m.scenarios[2].rto[0] <= 3
    assert m.targets.rto == 15 and m.targets.strategy == "warm-standby" and m.misses == []


@pytest.mark.parametrize("lang,prefix", [("cfn", ""), ("tf", "aws_")])
def test_serverless(lang, prefix):
    m = model_of(WORKLOADS / "serverless" / lang)
    assert [s.label for s in m.scenarios][0] == "loss of any one AZ"
    assert set(verdicts(m, 0).values()) == {UNAFFECTED}  # Regional services: AWS spreads them
    assert set(verdicts(m, 1).values()) == {DOWN}
    roles = {c.role for c in m.components}
    assert roles == {"entry", "compute", "data"}
    api = next(c for c in m.components if c.role == "entry")
    assert any(a == api.uid for a, _, _ in m.dependencies)  # the API reaches its function
    worker = next(c for c in m.components if "orker" in c.address or "worker" in c.address)
    queue_deps = [b for a, b, _ in m.dependencies if a == worker.uid]
    assert any("ueue" in b or "sqs_queue.orders" in b for b in queue_deps)  # event source mapping
    table_row = next(r for r in m.datastore_estimates() if "able" in r["component"] or "dynamodb" in r["component"])
    assert table_row["az"].verdict == UNAFFECTED and table_row["region"].verdict == DOWN
    assert m.spofs == []


def test_assumption_overrides_change_the_estimates():
    overridden = table({"rds-multi-az-failover": {"rto": ["3m", "5m"], "rpo": "0"}})
    assert overridden["rds-multi-az-failover"].rto == (3, 5) and overridden["rds-multi-az-failover"].overridden
    result = scan(ScanSettings(paths=[str(WORKLOADS / "three_tier_multi_az" / "tf")], jobs=1), [])
    m = analyse(result.architecture, overridden)[0]
    assert m.scenarios[0].rto == (3, 5)
    with pytest.raises(AssumptionError):
        table({"rds-multi-az-failovr": {"rto": "1m"}})


def test_config_accepts_assumptions_and_rejects_bad_ones(tmp_path):
    cfg = parse({"assumptions": {"route53-failover": {"rto": "1m"}}}, tmp_path / ".ha-lint.yml")
    assert cfg.assumptions == {"route53-failover": {"rto": "1m"}}
    with pytest.raises(ConfigError, match="assumptions"):
        parse({"assumptions": {"nope": {"rto": "1m"}}}, tmp_path / ".ha-lint.yml")


def test_every_assumption_cites_an_aws_source():
    for a in DEFAULTS.values():
        assert a.source.startswith("https://docs.aws.amazon.com/"), a.key
        assert a.note


def test_cli_text_and_json():
    path = str(WORKLOADS / "three_tier_single_az" / "cfn")
    text = run_cli("resilience", path, "--no-config", "--no-findings")
    assert text.returncode == 0, text.stderr
    assert "AppGroup      compute  down" in text.stdout
    assert "Single points of failure" in text.stdout and "DR307 RTO target 15m is not met" in text.stdout
    data = json.loads(run_cli("resilience", path, "--no-config", "--format", "json").stdout)
    assert data["schema"] == 1
    w = data["workloads"][0]
    assert w["scenarios"][0]["components"]["Database"]["verdict"] == "down"
    assert w["scenarios"][0]["components"]["Database"]["assumption"] == "rds-restore-from-backup"
    assert "rds-restore-from-backup" in data["assumptions"]
    assert any(f["rule_id"] == "HA101" for f in data["findings"])
    assert {s["rule"] for s in w["single_points_of_failure"]} == {"HA104", "HA101"}


def test_dr307_in_the_normal_scan():
    run = run_cli(str(WORKLOADS / "three_tier_single_az"), "--no-config", "--select", "DR307", "--format", "json")
    found = json.loads(run.stdout)["findings"]
    assert {(f["rule_id"], f["line"]) for f in found} == {("DR307", 1)}
    assert len(found) == 4  # RTO and RPO, in each language


BACKUP_PLAN_FOR_ONE = """
provider "aws" {
  region = "eu-west-1"
}

resource "aws_db_instance" "db" {
  engine                  = "postgres"
  instance_class          = "db.t3.micro"
  multi_az                = true
  backup_retention_period = 7
}

resource "aws_ebs_volume" "vol" {
  availability_zone = "eu-west-1a"
  size              = 10
}

resource "aws_backup_plan" "p" {
  name = "p"
  rule {
    rule_name         = "daily"
    target_vault_name = "Default"
    schedule          = "cron(0 5 ? * * *)"
    copy_action {
      destination_vault_arn = "arn:aws:backup:eu-central-1:111122223333:backup-vault:dr"
    }
  }
}

resource "aws_backup_selection" "s" {
  name         = "s"
  plan_id      = aws_backup_plan.p.id
  iam_role_arn = "arn:aws:iam::111122223333:role/backup"
  resources    = [SELECTED]
}
"""


@pytest.mark.parametrize("selected, db_survives", [("aws_ebs_volume.vol.arn", False),
                                                   ("aws_ebs_volume.vol.arn, aws_db_instance.db.arn", True)])
def test_a_backup_plan_protects_only_what_its_selections_select(tmp_path, selected, db_survives):
    (tmp_path / "main.tf").write_text(BACKUP_PLAN_FOR_ONE.replace("SELECTED", selected))
    m = model_of(tmp_path)
    region = next(s for s in m.scenarios if s.kind == "region")
    db = region.outcomes[m.component("aws_db_instance.db").uid]
    vol = region.outcomes[m.component("aws_ebs_volume.vol").uid]
    assert "backup copies in another Region" in vol.why
    assert ("backup copies in another Region" in db.why) is db_survives
    assert (db.rpo == INFINITE) is not db_survives


# -- the egress path, one-AZ columns, the workload's name, its findings (examples/quickstart) --

QUICKSTART = FIXTURES.parent / "examples" / "quickstart"
NAT_B = '''
resource "aws_eip" "nat_b" {
  domain = "vpc"
}

resource "aws_nat_gateway" "b" {
  allocation_id = aws_eip.nat_b.id
  subnet_id     = aws_subnet.public[1].id
}

resource "aws_route_table" "private_b" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.b.id
  }
}
'''


def quickstart(tmp_path, multi_az=False, pinned=True, nat_per_az=False):
    """A copy of examples/quickstart, changed: the database Multi-AZ or not, pinned to the first
    AZ or not; a NAT gateway per AZ instead of one."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    for source in QUICKSTART.glob("*.tf"):
        text = source.read_text()
        if source.name == "database.tf":
            text = text.replace("multi_az                    = false", f"multi_az = {str(multi_az).lower()}")
            if not pinned:
                text = text.replace("  availability_zone           = local.azs[0]\n", "")
        if source.name == "network.tf" and nat_per_az:
            text = text.replace('''resource "aws_route_table_association" "private" {
  count          = length(local.azs)
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}''', '''resource "aws_route_table_association" "private" {
  count          = length(local.azs)
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = count.index == 0 ? aws_route_table.private.id : aws_route_table.private_b.id
}''') + NAT_B
        (tmp_path / source.name).write_text(text)
    return tmp_path


def test_one_nat_gateway_for_both_azs_is_a_single_point_of_failure_of_the_egress_path(tmp_path):
    m = model_of(quickstart(tmp_path, multi_az=True))
    a, b = m.scenarios[0], m.scenarios[1]
    assert (a.label, b.label) == ("loss of AZ eu-west-1a", "loss of AZ eu-west-1b")
    nat = m.component("aws_nat_gateway.main")
    assert nat.role == "egress" and [str(z) for z in nat.zones] == ["eu-west-1a"]
    assert a.outcomes[nat.uid].verdict == DOWN
    assert a.outcomes[nat.uid].why == "lives in one AZ: subnets in eu-west-1b lose their way to the internet through it"
    assert b.outcomes[nat.uid].verdict == UNAFFECTED
    asg = a.outcomes[m.component("aws_autoscaling_group.app").uid]
    assert asg.verdict == DEGRADED  # keeps serving from eu-west-1b, without internet egress there
    assert asg.why.endswith("its subnets in eu-west-1b lose internet egress (they route through aws_nat_gateway.main)")
    assert b.outcomes[m.component("aws_autoscaling_group.app").uid].why.startswith("loses its capacity in eu-west-1b")
    assert [(s.component.address, s.rule, s.scenario) for s in m.spofs] == [
        ("aws_nat_gateway.main", "HA107", "loss of AZ eu-west-1a")]
    assert a.serving  # a lost NAT gateway costs egress, not service
    assert [(x.split("#")[1], y.split("#")[1]) for x, y, _ in m.egress] == [
        ("aws_autoscaling_group.app", "aws_nat_gateway.main")]


def test_a_nat_gateway_per_az_is_lost_only_with_its_own_az(tmp_path):
    m = model_of(quickstart(tmp_path, multi_az=True, nat_per_az=True))
    a = m.scenarios[0]
    nats = [c for c in m.components if c.role == "egress"]
    assert sorted(c.address for c in nats) == ["aws_nat_gateway.b", "aws_nat_gateway.main"]
    main = m.component("aws_nat_gateway.main")
    assert a.outcomes[main.uid].verdict == DOWN
    assert a.outcomes[main.uid].why == "lives in one AZ: only subnets in its own AZ route through it"
    assert a.outcomes[m.component("aws_nat_gateway.b").uid].verdict == UNAFFECTED
    assert "egress" not in a.outcomes[m.component("aws_autoscaling_group.app").uid].why
    assert m.spofs == []


def test_a_single_az_resource_is_drawn_in_one_column(tmp_path):
    from ha_lint.resilience.render import UNKNOWN_AZ, columns_of, svg

    pinned = model_of(quickstart(tmp_path / "pinned", pinned=True))
    assert columns_of(pinned.component("aws_db_instance.db")) == ["eu-west-1a"]
    assert columns_of(pinned.component("aws_autoscaling_group.app")) == ["eu-west-1a", "eu-west-1b"]
    assert columns_of(pinned.component("aws_nat_gateway.main")) == ["eu-west-1a"]
    # Not pinned: AWS puts the database in one of its subnet group's two AZs; which is unknown.
    loose = model_of(quickstart(tmp_path / "loose", pinned=False))
    db = loose.component("aws_db_instance.db")
    assert len(db.zones) == 2 and db.one_az
    assert columns_of(db) == [UNKNOWN_AZ]
    picture = svg(loose)
    assert re.search(r'data-address="aws_db_instance.db" data-columns="unknown"', picture)
    assert ">AZ unknown</text>" in picture
    assert 'data-address="aws_autoscaling_group.app" data-columns="eu-west-1a eu-west-1b"' in picture
    heads = re.findall(r'<text class="column"[^>]*>([^<]+)</text>', picture)
    assert heads == ["AZ eu-west-1a", "AZ eu-west-1b", "AZ unknown"]


@pytest.fixture
def project_copy(tmp_path):
    return quickstart(tmp_path / "shop")


def test_every_finding_of_the_workload_with_its_file_in_text_markdown_and_html(project_copy):
    scan_run = run_cli(".", "--no-config", "--no-cache", "--format", "json", cwd=project_copy)
    expected = {(f"{f['file']}:{f['line']}", f["rule_id"]) for f in json.loads(scan_run.stdout)["findings"]}
    assert {rule for _, rule in expected} == {"HA101", "HA107", "BK202", "DR306"}
    assert {where.split(":")[0] for where, _ in expected} == {"database.tf", "main.tf", "network.tf"}
    outputs = {}
    for fmt in ("text", "markdown", "html"):
        done = run_cli("resilience", ".", "--no-config", "--no-cache", "--format", fmt, cwd=project_copy)
        assert done.returncode == 0, done.stderr
        outputs[fmt] = done.stdout
    text = outputs["text"]
    assert text.startswith("Workload shop (terraform)\n")  # scanned as ".": named after its directory
    assert "Findings (4):" in text
    for where, rule in expected:
        assert re.search(rf"^    {re.escape(where)}: {rule} \[\w+\] ", text, re.M), (where, rule)
    assert "**shop**:" in outputs["markdown"] and "Findings (4):" in outputs["markdown"]
    for where, rule in expected:
        assert f"- **{rule}** " in outputs["markdown"] and f"`{where}`" in outputs["markdown"]
    assert "<h2>shop</h2>" in outputs["html"] and "<h3>Findings (4)</h3>" in outputs["html"]
    cells = re.findall(r'<td class="file">([^<]+)</td>', outputs["html"])
    assert sorted(cells) == sorted(where for where, _ in expected)
    data = json.loads(run_cli("resilience", ".", "--no-config", "--no-cache", "--format", "json",
                              cwd=project_copy).stdout)
    assert data["workloads"][0]["id"] == "." and data["workloads"][0]["name"] == "shop"


def test_a_data_store_behind_one_nat_gateway_does_not_make_it_a_single_point_of_failure(tmp_path):
    """A database answers, it does not call out: its subnets' route to the NAT gateway is not
    the workload's egress path."""
    quickstart(tmp_path, multi_az=True)
    (tmp_path / "main.tf").write_text('provider "aws" {\n  region = "eu-west-1"\n}\n\n'
                                      'locals {\n  azs = ["eu-west-1a", "eu-west-1b"]\n}\n'
                                      'resource "aws_security_group" "app" {\n  vpc_id = aws_vpc.main.id\n}\n'
                                      'resource "aws_security_group" "db" {\n  vpc_id = aws_vpc.main.id\n}\n')
    m = model_of(tmp_path)
    assert [c.address for c in m.components] == ["aws_db_instance.db"]
    assert m.egress == [] and m.spofs == []


def test_the_markdown_report_renders_each_finding_with_its_file(project_copy):
    """``resilience --format markdown`` as GitHub renders it (cmark-gfm): the single points of
    failure, then one list item per finding, its file and line in a code span."""
    import cmarkgfm

    done = run_cli("resilience", ".", "--no-config", "--no-cache", "--format", "markdown", cwd=project_copy)
    assert done.returncode == 0, done.stderr
    page = cmarkgfm.github_flavored_markdown_to_html(done.stdout)
    items = re.findall(r"<li>(.*?)</li>", page, re.S)
    spofs = [i for i in items if i.startswith("single point of failure")]
    assert spofs == ["single point of failure <code>aws_db_instance.db</code> (HA101): down on the loss of AZ eu-west-1a",
                     "single point of failure <code>aws_nat_gateway.main</code> (HA107): down on the loss of AZ eu-west-1a"]
    found = [re.match(r"<strong>(\w+)</strong> (\w+) <code>([^<]+)</code>: ", i) for i in items if i.startswith("<strong>")]
    assert sorted((m.group(3), m.group(1)) for m in found) == [
        ("database.tf:11", "HA101"), ("database.tf:13", "BK202"), ("main.tf:1", "DR306"), ("network.tf:46", "HA107")]
    assert '<code class="language-mermaid">' in page or 'lang="mermaid"' in page
