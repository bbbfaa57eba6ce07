"""Terragrunt units: a terragrunt.hcl with a terraform block (its own or an included
parent's) deploys its module with its inputs; parents only included are not units; includes
merge with their merge_strategy; dependency outputs are the dependency module's, as far as its
configuration decides them (mock_outputs never values); nothing is run (get_env's default);
units are cached until a file that decided them changes; .boilerplate templates are noted."""

from __future__ import annotations

from pathlib import Path

import pytest

from test_download_modules import git_module, registry  # noqa: F401 (fixtures: a registry and a git repository here)
from test_download_modules import scan as download_scan
from ha_lint.engine import all_rules, select
from ha_lint.resolve import terragrunt
from ha_lint.scan import ScanSettings, scan
from ha_lint.values import UNKNOWN

MODULE = """\
variable "multi_az" {
  type    = bool
  default = true
}

resource "aws_db_instance" "this" {
  engine                      = "postgres"
  instance_class              = "db.m6g.large"
  allocated_storage           = 100
  manage_master_user_password = true
  username                    = "app"
  backup_retention_period     = 7
  multi_az                    = var.multi_az
}
"""


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def _scan(path: Path):
    return scan(ScanSettings(paths=[str(path)], jobs=1), [cls() for cls in select(all_rules(), ["HA101"], None)])


def test_a_unit_merges_its_parents_and_runs_nothing(tmp_path: Path) -> None:
    _write(tmp_path, {
        "terragrunt.hcl": 'locals {\n  team = "orders"\n}\n\ninputs = {\n  team = local.team\n  '
                          'key  = path_relative_to_include()\n}\n',
        "env.hcl": 'locals {\n  environment = "dev"\n}\n',
        "dev/db/terragrunt.hcl": (
            'include "root" {\n  path   = find_in_parent_folders("terragrunt.hcl")\n  expose = true\n}\n\n'
            'locals {\n  env = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals.environment\n}\n\n'
            'terraform {\n  source = "../../modules//db"\n}\n\n'
            'dependency "vpc" {\n  config_path  = "../vpc"\n  mock_outputs = { subnet_ids = ["subnet-mock"] }\n}\n\n'
            'inputs = {\n  name       = "${include.root.locals.team}-${local.env}"\n'
            '  region     = get_env("AWS_REGION", "eu-west-1")\n'
            '  subnet_ids = dependency.vpc.outputs.subnet_ids\n'
            '  secret     = run_cmd("cat", "/etc/passwd")\n}\n'),
    })
    parent = terragrunt.read_unit(tmp_path / "terragrunt.hcl", "terragrunt.hcl", lambda p: p.read_text())
    assert parent.source is None  # only included: not a unit
    unit = terragrunt.read_unit(tmp_path / "dev/db/terragrunt.hcl", "dev/db/terragrunt.hcl", lambda p: p.read_text())
    assert unit.source == "../../modules//db" and unit.source_line == 11
    assert terragrunt.local_module(unit) == (tmp_path / "modules" / "db").resolve()
    values = {name: given.value for name, given in unit.inputs.items()}
    assert values == {"team": "orders", "key": "dev/db", "name": "orders-dev", "region": "eu-west-1",
                      "subnet_ids": UNKNOWN, "secret": UNKNOWN}
    assert unit.inputs["name"].line == 20 and unit.inputs["name"].file == "dev/db/terragrunt.hcl"
    assert unit.inputs["team"].file == "terragrunt.hcl" and unit.inputs["team"].line == 6


def test_only_the_unit_that_turns_multi_az_off_fires_at_its_input(tmp_path: Path) -> None:
    unit = 'include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\n\nterraform {\n  source = "../../../modules/db"\n}\n\n'
    _write(tmp_path, {
        "root.hcl": 'inputs = {\n  multi_az = true\n}\n',
        "modules/db/main.tf": MODULE.replace("default = true", "default = false"),
        "live/prod/db/terragrunt.hcl": unit,
        "live/dev/db/terragrunt.hcl": unit + "inputs = {\n  multi_az = false\n}\n",
    })
    result = _scan(tmp_path)
    assert result.errors == []
    assert [(Path(f.file).relative_to(tmp_path).as_posix(), f.line) for f in result.findings] == [
        ("live/dev/db/terragrunt.hcl", 10)]
    assert f"root {tmp_path}/live/dev/db." in result.findings[0].message


def test_a_tfvars_inside_the_module_wins_over_inputs(tmp_path: Path) -> None:
    _write(tmp_path, {
        "modules/db/main.tf": MODULE,
        "modules/db/terraform.tfvars": "multi_az = false\n",
        "live/db/terragrunt.hcl": 'terraform {\n  source = "../../modules/db"\n}\n\ninputs = {\n  multi_az = true\n}\n',
    })
    result = _scan(tmp_path)
    assert [f.rule_id for f in result.findings] == ["HA101"]
    assert "terraform.tfvars sets multi_az = false" in result.findings[0].message


def test_a_remote_source_offline_is_a_warning_not_silence(tmp_path: Path) -> None:
    _write(tmp_path, {"db/terragrunt.hcl": 'terraform {\n  source = "tfr:///acme/db/aws?version=1.2.0"\n}\n'})
    result = _scan(tmp_path)
    assert result.findings == [] and result.errors == []
    [warning] = result.warnings
    assert (warning.code, warning.line) == ("module-not-found", 2)
    assert "--download-modules" in warning.message


@pytest.mark.parametrize("source, address", [
    ("tfr:///acme/db/aws?version=1.2.0", ("acme/db/aws", "1.2.0")),
    ("tfr://registry.example.com/acme/db/aws//modules/x?version=2.0.0",
     ("registry.example.com/acme/db/aws//modules/x", "2.0.0")),
    ("git::https://example.com/db.git//modules/db?ref=v1", ("git::https://example.com/db.git//modules/db?ref=v1", "")),
])
def test_registry_addresses(source: str, address: tuple[str, str]) -> None:
    assert terragrunt.module_address(source) == address


def test_a_unit_that_does_not_parse_is_one_error_and_the_scan_goes_on(tmp_path: Path) -> None:
    _write(tmp_path, {"a/terragrunt.hcl": "terraform {\n  source = \n", "b/main.tf": MODULE})
    result = _scan(tmp_path)
    assert [(Path(e.file).name, bool(e.message)) for e in result.errors] == [("terragrunt.hcl", True)]
    assert result.files == 2


def test_remote_sources_are_fetched_with_download_modules(tmp_path: Path, registry, git_module: Path) -> None:
    """A tfr:/// registry address and a git source with //subdir, fetched from servers here."""
    root = tmp_path / "live"
    _write(root, {
        "registry/db/terragrunt.hcl": 'terraform {\n  source = "tfr:///acme/db/aws?version=1.2.0"\n}\n\n'
                                      'inputs = {\n  multi_az = false\n}\n',
        "git/db/terragrunt.hcl": f'terraform {{\n  source = "git::file://{git_module}//modules/x?ref=v1.0.0"\n}}\n\n'
                                 'inputs = {\n  multi_az = false\n}\n',
    })
    code, report = download_scan(root, tmp_path / "cache", "--download-modules")
    assert code == 1, report["warnings"]
    assert sorted((Path(f["file"]).relative_to(root).as_posix(), f["line"], f["rule_id"]) for f in report["findings"]
                  if f["rule_id"] == "HA101") == [("git/db/terragrunt.hcl", 6, "HA101"), ("registry/db/terragrunt.hcl", 6, "HA101")]
    assert [p for p, _ in registry.requests if p.endswith("/download")] == ["/v1/modules/acme/db/aws/1.2.0/download"]


def test_terragrunt_cache_copies_are_not_scanned(tmp_path: Path) -> None:
    unit = 'terraform {\n  source = "../../modules/db"\n}\n\ninputs = {\n  multi_az = false\n}\n'
    _write(tmp_path, {
        "modules/db/main.tf": MODULE,
        "live/db/terragrunt.hcl": unit,
        "live/db/.terragrunt-cache/abc/def/terragrunt.hcl": unit,  # what `terragrunt plan` leaves behind
        "live/db/.terragrunt-cache/abc/def/main.tf": MODULE.replace("default = true", "default = false"),
    })
    result = _scan(tmp_path)
    assert [(Path(f.file).relative_to(tmp_path).as_posix(), f.line) for f in result.findings] == [("live/db/terragrunt.hcl", 6)]
    assert result.files == 2


def test_boilerplate_templates_are_noted_not_load_errors(tmp_path: Path) -> None:
    """A .boilerplate folder (Terragrunt scaffolding) holds Go templates of configuration."""
    template = 'terraform {\n  source = "{{ .sourceUrl }}"\n}\n\ninputs = {\n  {{ range .requiredVariables }}\n' \
               '  {{ .Name }} = {{ .DefaultValuePlaceholder }}\n  {{ end }}\n}\n'
    _write(tmp_path, {"modules/db/main.tf": MODULE.replace("default = true", "default = false"),
                      "modules/db/.boilerplate/terragrunt.hcl": template,
                      "modules/db/.boilerplate/main.tf": 'resource "aws_db_instance" "{{ .Name }}" {}\n'})
    result = _scan(tmp_path)
    assert result.errors == [] and result.files == 1
    [note] = [w for w in result.warnings if w.code == "template-skipped"]
    assert Path(note.file).relative_to(tmp_path).as_posix() == "modules/db/.boilerplate"
    named = _scan(tmp_path / "modules/db/.boilerplate/terragrunt.hcl")  # named on the command line: the same
    assert named.errors == [] and [w.code for w in named.warnings] == ["template-skipped"]


OUTPUTS = 'variable "ha" {\n  type = bool\n}\n\noutput "multi_az" {\n  value = var.ha\n}\n'
DB_UNIT = ('terraform {{\n  source = "../../modules/db"\n}}\n\ndependency "settings" {{\n  config_path = "{path}"\n'
           '  mock_outputs = {{ multi_az = false }}\n}}\n\ninputs = {{\n  multi_az = dependency.settings.outputs.multi_az\n}}\n')


def test_dependency_outputs_come_from_the_dependency_module_never_its_mocks(tmp_path: Path) -> None:
    _write(tmp_path, {
        "modules/db/main.tf": MODULE,
        "modules/settings/main.tf": OUTPUTS,
        "live/settings/terragrunt.hcl": 'terraform {\n  source = "../../modules/settings"\n}\n\ninputs = {\n  ha = false\n}\n',
        "live/db/terragrunt.hcl": DB_UNIT.format(path="../settings"),
        # a dependency whose module is not here: unknown and said, the mock (false) is not taken
        "live/remote/terragrunt.hcl": 'terraform {\n  source = "tfr:///acme/settings/aws?version=1.0.0"\n}\n',
        "live/other/terragrunt.hcl": DB_UNIT.format(path="../remote"),
    })
    result = _scan(tmp_path)
    assert result.errors == []
    assert [(Path(f.file).relative_to(tmp_path).as_posix(), f.line) for f in result.findings] == [("live/db/terragrunt.hcl", 11)]
    # how it was decided: the settings unit's input, the settings module's output, the db unit's input
    assert [(Path(step.file).relative_to(tmp_path).as_posix(), step.line) for step in result.findings[0].trace] == [
        ("live/settings/terragrunt.hcl", 6), ("modules/settings/main.tf", 6), ("live/db/terragrunt.hcl", 11)]
    [unavailable] = [w for w in result.warnings if w.code == "terragrunt-dependency"]
    assert (Path(unavailable.file).relative_to(tmp_path).as_posix(), unavailable.line) == ("live/other/terragrunt.hcl", 5)
    assert "deploys a module that is not available here" in unavailable.message


def test_a_dependency_cycle_is_a_warning_not_a_hang(tmp_path: Path) -> None:
    unit = ('terraform {{\n  source = "../../modules/settings"\n}}\n\ndependency "other" {{\n  config_path = "../{other}"\n}}\n\n'
            'inputs = {{\n  ha = dependency.other.outputs.multi_az\n}}\n')
    _write(tmp_path, {"modules/settings/main.tf": OUTPUTS, "live/a/terragrunt.hcl": unit.format(other="b"),
                      "live/b/terragrunt.hcl": unit.format(other="a"), "live/self/terragrunt.hcl": unit.format(other="self")})
    result = _scan(tmp_path)
    assert result.errors == []
    cycles = sorted((Path(w.file).relative_to(tmp_path).as_posix(), w.line, w.message)
                    for w in result.warnings if w.code == "terragrunt-dependency")
    assert cycles == [("live/b/terragrunt.hcl", 5, "dependency cycle (a -> b -> a): its outputs are unknown"),
                      ("live/self/terragrunt.hcl", 5, "dependency cycle (self -> self): its outputs are unknown")]


def test_a_long_dependency_chain_stops_with_a_warning(tmp_path: Path) -> None:
    files = {"modules/settings/main.tf": OUTPUTS,
             "live/u14/terragrunt.hcl": 'terraform {\n  source = "../../modules/settings"\n}\n\ninputs = {\n  ha = true\n}\n'}
    for n in range(14):  # u00 (read first) -> u01 -> ... -> u14
        files[f"live/u{n:02}/terragrunt.hcl"] = ('terraform {\n  source = "../../modules/settings"\n}\n\n'
                                                 f'dependency "next" {{\n  config_path = "../u{n + 1:02}"\n}}\n\n'
                                                 'inputs = {\n  ha = dependency.next.outputs.multi_az\n}\n')
    _write(tmp_path, files)
    result = _scan(tmp_path)
    assert result.errors == []
    [deep] = [w for w in result.warnings if w.code == "terragrunt-dependency"]
    assert "dependency chain longer than 10 units" in deep.message


def test_merge_strategies_follow_terragrunt(tmp_path: Path) -> None:
    _write(tmp_path, {
        "root.hcl": 'terraform {\n  source = "../modules/root"\n}\n\n'
                    'inputs = {\n  tags = ["root"]\n  db = { multi_az = false, size = 10 }\n  name = "root"\n}\n',
        "region.hcl": 'inputs = {\n  tags = ["region"]\n  name = "region"\n  region = "eu-west-1"\n}\n',
        "deep/terragrunt.hcl": 'include "root" {\n  path = "../root.hcl"\n  merge_strategy = "deep"\n}\n\n'
                               'terraform {\n  extra_arguments "x" {\n    commands = ["plan"]\n  }\n}\n\n'
                               'inputs = {\n  tags = ["unit"]\n  db = { size = 20 }\n}\n',
        "two/terragrunt.hcl": 'include "root" {\n  path = "../root.hcl"\n}\n\ninclude "region" {\n  path = "../region.hcl"\n}\n',
        "bad/terragrunt.hcl": 'include "root" {\n  path = "../root.hcl"\n  merge_strategy = "deepest"\n}\n',
    })
    read = lambda p: p.read_text()  # noqa: E731
    deep = terragrunt.read_unit(tmp_path / "deep/terragrunt.hcl", "deep/terragrunt.hcl", read)
    # lists concatenate (parent first), maps merge key by key, a terraform block without a source keeps the parent's
    assert {k: v.value for k, v in deep.inputs.items()} == {"tags": ["root", "unit"], "db": {"multi_az": False, "size": 20},
                                                             "name": "root"}
    assert (deep.source, deep.source_file, deep.source_line) == ("../modules/root", "root.hcl", 2)
    two = terragrunt.read_unit(tmp_path / "two/terragrunt.hcl", "two/terragrunt.hcl", read)
    # a later include wins over an earlier one
    assert {k: v.value for k, v in two.inputs.items()} == {"tags": ["region"], "db": {"multi_az": False, "size": 10},
                                                           "name": "region", "region": "eu-west-1"}
    bad = terragrunt.read_unit(tmp_path / "bad/terragrunt.hcl", "bad/terragrunt.hcl", read)
    assert [(w.code, w.line) for w in bad.warnings] == [("terragrunt-include", 3)]
    assert "merge_strategy 'deepest' is not one of shallow, deep, no_merge" in bad.warnings[0].message
    assert bad.inputs["name"].value == "root"  # merged shallowly


def test_units_are_cached_until_a_file_that_decides_them_changes(tmp_path: Path) -> None:
    """A warm scan of a Terragrunt tree is served from the cache, the same as cold, and is
    scanned again when any file that decided a unit changes: its parent, a file
    read_terragrunt_config reads, its module, a dependency's configuration or module, or a
    closer parent find_in_parent_folders would now find."""
    root, cache = tmp_path / "repo", tmp_path / "cache"
    _write(root, {
        "root.hcl": 'inputs = {\n  multi_az = true\n}\n',
        "env.hcl": 'locals {\n  ha = true\n}\n',
        "modules/db/main.tf": MODULE,
        "modules/settings/main.tf": OUTPUTS,
        "live/settings/terragrunt.hcl": 'terraform {\n  source = "../../modules/settings"\n}\n\n'
                                        'inputs = {\n  ha = read_terragrunt_config("../../env.hcl").locals.ha\n}\n',
        "live/db/terragrunt.hcl": 'include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\n\n'
                                  + DB_UNIT.format(path="../settings"),
    })
    hits: list[bool] = []

    def findings() -> list[tuple[str, int]]:
        from ha_lint.cache import Cache
        real = Cache.get

        def get(self, key, valid=None):  # observed, not replaced
            value = real(self, key, valid)
            hits.append(value is not None)
            return value
        Cache.get = get
        try:
            result = scan(ScanSettings(paths=[str(root)], jobs=1, cache_dir=cache),
                          [cls() for cls in select(all_rules(), ["HA101"], None)])
        finally:
            Cache.get = real
        assert result.errors == []
        return [(Path(f.file).relative_to(root).as_posix(), f.line) for f in result.findings]

    assert findings() == [] and hits and not any(hits)
    hits.clear()
    assert findings() == [] and hits and all(hits)  # every file and unit from the cache
    single_az = [("live/db/terragrunt.hcl", 15)]
    changes = [
        ("env.hcl", 'locals {\n  ha = false\n}\n'),  # read_terragrunt_config in the dependency
        ("modules/settings/main.tf", OUTPUTS.replace("var.ha", "false")),  # the dependency's module
        ("live/settings/terragrunt.hcl", 'terraform {\n  source = "../../modules/settings"\n}\n\ninputs = {\n  ha = false\n}\n'),
    ]
    for name, text in changes:
        was = (root / name).read_text()
        (root / name).write_text(text)
        assert findings() == single_az, name
        (root / name).write_text(was)
        assert findings() == [], name
    (root / "modules/db/main.tf").write_text(MODULE.replace("var.multi_az", "false"))  # the unit's own module
    assert findings() == [("modules/db/main.tf", 13)]
    (root / "modules/db/main.tf").write_text(MODULE)
    # A unit that takes multi_az from its parent: the parent changes, then a closer root.hcl appears.
    (root / "live/other/terragrunt.hcl").parent.mkdir()
    (root / "live/other/terragrunt.hcl").write_text('include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\n\n'
                                                   'terraform {\n  source = "../../modules/db"\n}\n')
    assert findings() == []
    (root / "root.hcl").write_text('inputs = {\n  multi_az = false\n}\n')
    assert findings() == [("root.hcl", 2)]
    (root / "live/root.hcl").write_text('inputs = {\n  multi_az = true\n}\n')
    assert findings() == []


def test_repository_paths_and_tfvars_files(tmp_path: Path) -> None:
    """get_path_to_repo_root() and friends answer from the nearest folder with a .git;
    read_tfvars_file gives a tfvars file's variables as JSON (for jsondecode)."""
    (tmp_path / ".git").mkdir()
    _write(tmp_path, {
        "modules/db/main.tf": MODULE,
        "live/dev/common.tfvars": 'multi_az = false\nname = "orders"\n',
        "live/dev/db/terragrunt.hcl": 'terraform {\n  source = "${get_path_to_repo_root()}//modules/db"\n}\n\n'
                                      'locals {\n  gone = read_tfvars_file("missing.tfvars")\n}\n\n'
                                      'inputs = merge(jsondecode(read_tfvars_file("../common.tfvars")), {\n'
                                      '  key  = get_path_from_repo_root()\n  root = get_repo_root()\n})\n',
    })
    unit = terragrunt.read_unit(tmp_path / "live/dev/db/terragrunt.hcl", "live/dev/db/terragrunt.hcl", lambda p: p.read_text())
    assert unit.source == "../../..//modules/db"
    assert terragrunt.local_module(unit) == (tmp_path / "modules/db").resolve()
    values = {name: given.value for name, given in unit.inputs.items()}
    assert values == {"multi_az": False, "name": "orders", "key": "live/dev/db", "root": str(tmp_path.resolve())}
    assert [(w.code, "missing.tfvars" in w.message) for w in unit.warnings] == [("terragrunt-include", True)]


def test_a_module_file_outside_the_scanned_paths_that_does_not_load_is_said(tmp_path: Path) -> None:
    """Scanning live/ alone: the unit's module is read for context; a file of it that does not
    parse is a warning at that file (its resources are not checked), not silence."""
    _write(tmp_path, {
        "modules/db/main.tf": MODULE,
        "modules/db/broken.tf": 'resource "aws_db_instance" "other" {\n  engine = \n',
        "live/db/terragrunt.hcl": 'terraform {\n  source = "../../modules/db"\n}\n\ninputs = {\n  multi_az = false\n}\n',
    })
    result = scan(ScanSettings(paths=[str(tmp_path / "live")], root=str(tmp_path), jobs=1),
                  [cls() for cls in select(all_rules(), ["HA101"], None)])
    assert result.errors == []
    assert [(Path(f.file).relative_to(tmp_path).as_posix(), f.line) for f in result.findings] == [("live/db/terragrunt.hcl", 6)]
    assert [(w.code, Path(w.file).name) for w in result.warnings] == [("module-file-not-loaded", "broken.tf")]


def test_lines_come_from_the_parse_tree_not_from_the_first_line_that_looks_like_a_setter(tmp_path: Path) -> None:
    """A name set inside an earlier map, in a commented-out line or in a heredoc is not the
    input: each input's line is its own key's, and the source's is the terraform block's."""
    _write(tmp_path, {"live/db/terragrunt.hcl": (
        '# source = "../old"\n'                          # 1
        'locals {\n  tags = { multi_az = "yes" }\n}\n'     # 2-4
        'terraform {\n'                                  # 5
        '  extra_arguments "x" {\n    commands = ["plan"]\n  }\n'  # 6-8
        '  source = "../../modules/db"\n}\n'              # 9-10
        'inputs = {\n'                                   # 11
        '  notes = <<EOT\nmulti_az = true\nEOT\n'         # 12-14
        '  settings = { multi_az = "inner" }\n'          # 15
        '  multi_az = false\n}\n')})                     # 16-17
    unit = terragrunt.read_unit(tmp_path / "live/db/terragrunt.hcl", "live/db/terragrunt.hcl", lambda p: p.read_text())
    assert unit.source_line == 9
    assert {name: given.line for name, given in unit.inputs.items()} == {"notes": 12, "settings": 15, "multi_az": 16}
