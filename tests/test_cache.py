"""The cache of loaded files and resolved Terraform root modules.

A warm re-scan gives exactly the cold scan's findings, is served from the cache, and never
serves a stale result when a template, a child module, a tfvars file, a variable or the rule
options change. The cache is not trusted: it holds plain JSON data, never code (a planted
pickle never runs); a damaged entry is a miss and is removed; a cache directory that is not
ours, or that others may write to, is refused with a warning; interrupted writes, old
generations and entries beyond the size bound are pruned.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import pickle
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, CliRun, run_cli
from ha_lint import cache as cache_module
from ha_lint import cachecodec
from ha_lint import discover as disc
from ha_lint.cache import Cache
from ha_lint.engine import all_rules
from ha_lint.graph import Options
from ha_lint.model import LoadError, ModuleCall, NestedStack, Resource, ResourceMeta, ScanWarning, Workload
from ha_lint.pool import INTERNAL_ERROR, Job, JobSettings, load_job
from ha_lint.scan import ScanResult, ScanSettings, scan
from ha_lint.values import UNKNOWN, AzToken, Choice, DynamicBlock, Origin, Ref

ROOT_MODULE = """\
module "db" {
  source   = "./modules/db"
  multi_az = var.multi_az
}

variable "multi_az" {
  type    = bool
  default = true
}
"""

CHILD_MODULE = """\
variable "multi_az" {
  type = bool
}

resource "aws_db_instance" "this" {
  engine                  = "postgres"
  instance_class          = "db.m6g.large"
  allocated_storage       = 100
  multi_az                = var.multi_az
  backup_retention_period = RETENTION
}
"""

SINGLE_AZ_DB = ("HA101", "module.db.aws_db_instance.this")  # (rule, resource): reported where the call site says


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "app" / "modules" / "db").mkdir(parents=True)
    (root / "app" / "main.tf").write_text(ROOT_MODULE)
    (root / "app" / "modules" / "db" / "main.tf").write_text(CHILD_MODULE.replace("RETENTION", "7"))
    shutil.copy(FIXTURES / "HA101" / "cfn_bad.yaml", root / "stack.yaml")
    return root


def run(root: Path, cache_dir: Path | None, options: Options | None = None, jobs: int = 1) -> ScanResult:
    settings = ScanSettings(paths=[str(root)], cache_dir=cache_dir, jobs=jobs, options=options or Options())
    return scan(settings, [cls() for cls in all_rules()])


def findings(root: Path, cache_dir: Path | None, options: Options | None = None) -> list[tuple[str, int, str, str]]:
    result = run(root, cache_dir, options)
    assert result.errors == []
    return sorted((Path(f.file).name, f.line, f.rule_id, f.resource) for f in result.findings)


def rules_and_resources(found: list[tuple[str, int, str, str]]) -> set[tuple[str, str]]:
    return {(rule, resource) for _, _, rule, resource in found}


def everything(result: ScanResult) -> tuple[Any, ...]:
    """All a scan says, for comparing a cold scan with a warm one."""
    return (sorted(result.findings, key=repr), sorted(result.errors, key=repr), sorted(map(repr, result.warnings)),
            result.files, result.resources, result.workloads)


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every cache lookup of the scan, True for a hit (our own Cache, observed, not replaced)."""
    seen: list[bool] = []
    real_get = cache_module.Cache.get

    def get(self: cache_module.Cache, key: str, valid=None):
        value = real_get(self, key, valid)
        seen.append(value is not None)
        return value

    monkeypatch.setattr(cache_module.Cache, "get", get)
    return seen


def entries(cache_dir: Path) -> list[Path]:
    return sorted(p for p in cache_dir.rglob("*") if p.is_file() and len(p.name) == 62)


def decoded(entry: Path) -> Any:
    data = entry.read_bytes()
    assert data.startswith(cache_module.MAGIC)
    return cachecodec.loads(data[len(cache_module.MAGIC):])


def entry_of(cache_dir: Path, wanted: Any) -> Path:
    """The entry whose value ``wanted`` accepts: the exact file the scan's key for it maps to."""
    found = [path for path in entries(cache_dir) if wanted(decoded(path))]
    assert len(found) == 1
    return found[0]


def is_stack_yaml(value: Any) -> bool:
    return isinstance(value, tuple) and isinstance(value[0], Workload) and value[0].entry_file.endswith("stack.yaml")


# -- a warm scan is the cold scan ----------------------------------------------------------


def test_a_warm_scan_is_served_from_the_cache_with_the_same_findings(repo: Path, tmp_path: Path,
                                                                     lookups: list[bool]) -> None:
    cold = findings(repo, None)
    assert SINGLE_AZ_DB not in rules_and_resources(cold)  # multi_az defaults to true
    assert any(rule == "HA101" and name == "stack.yaml" for name, _, rule, _ in cold)
    first = findings(repo, tmp_path / "cache")
    assert first == cold
    assert lookups and not any(lookups)  # an empty cache: every lookup missed
    lookups.clear()
    assert findings(repo, tmp_path / "cache") == cold
    assert lookups and all(lookups)  # every file and the root module came from the cache


@pytest.mark.slow  # every fixture directory, twice
def test_every_fixture_is_served_warm_exactly_as_it_was_loaded_cold(tmp_path: Path, lookups: list[bool]) -> None:
    """Every fixture, in parallel as users run it: cold, with an empty cache, and warm give
    the same findings, errors and warnings, and the warm scan misses only files that are not
    templates after all (never cached)."""
    cold = run(FIXTURES, None, jobs=2)
    assert cold.findings and not [e for e in cold.errors if INTERNAL_ERROR in e.message]
    assert everything(run(FIXTURES, tmp_path / "cache", jobs=2)) == everything(cold)
    lookups.clear()
    assert everything(run(FIXTURES, tmp_path / "cache", jobs=2)) == everything(cold)
    not_templates = len(disc.discover([str(FIXTURES)]).files) - cold.files
    assert lookups.count(False) <= not_templates


def test_a_changed_child_module_is_resolved_again(repo: Path, tmp_path: Path) -> None:
    findings(repo, tmp_path / "cache")
    child = repo / "app" / "modules" / "db" / "main.tf"
    child.write_text(CHILD_MODULE.replace("RETENTION", "0"))
    warm = findings(repo, tmp_path / "cache")
    assert ("BK201", "module.db.aws_db_instance.this") in rules_and_resources(warm)
    assert warm == findings(repo, None)


def test_a_tfvars_file_or_a_variable_in_the_environment_changes_the_result(repo: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    assert SINGLE_AZ_DB not in rules_and_resources(findings(repo, tmp_path / "cache"))
    (repo / "app" / "terraform.tfvars").write_text("multi_az = false\n")
    assert SINGLE_AZ_DB in rules_and_resources(findings(repo, tmp_path / "cache"))
    (repo / "app" / "terraform.tfvars").unlink()
    assert SINGLE_AZ_DB not in rules_and_resources(findings(repo, tmp_path / "cache"))
    monkeypatch.setenv("TF_VAR_multi_az", "false")
    assert SINGLE_AZ_DB in rules_and_resources(findings(repo, tmp_path / "cache"))


def test_rule_options_always_apply_to_a_warm_scan(repo: Path, tmp_path: Path) -> None:
    short = ("BK202", "module.db.aws_db_instance.this")
    assert short not in rules_and_resources(findings(repo, tmp_path / "cache"))  # 7 days meets the default minimum
    assert short in rules_and_resources(findings(repo, tmp_path / "cache", Options(min_backup_retention_days=14)))


def test_a_changed_template_is_loaded_again(repo: Path, tmp_path: Path) -> None:
    before = findings(repo, tmp_path / "cache")
    stack = repo / "stack.yaml"
    stack.write_text(stack.read_text().replace("MultiAZ: false", "MultiAZ: true"))
    after = findings(repo, tmp_path / "cache")
    assert after == findings(repo, None)
    assert len([f for f in after if f[2] == "HA101"]) < len([f for f in before if f[2] == "HA101"])


def test_the_cache_is_kept_per_version_of_ha_lint(tmp_path: Path) -> None:
    store, refused = Cache.open(tmp_path / "cache")
    assert store is not None and refused is None
    assert store.directory == tmp_path / "cache" / cache_module.code_fingerprint()
    store.put("ab" * 32, {"answer": 42})
    assert store.get("ab" * 32) == {"answer": 42}
    assert Cache(tmp_path / "elsewhere").get("ab" * 32) is None


# -- the codec: plain data, every type the loaders make, and nothing else --------------------


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (a tuple is not a list; Resource compares
    by identity, so field by field)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return (list(a) == list(b) and getattr(a, "dynamic_index", None) == getattr(b, "dynamic_index", None)
                and all(same(k, j) and same(a[k], b[j]) for k, j in zip(a, b)))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if dataclasses.is_dataclass(a):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a is b or a == b


def round_trip(value: Any) -> Any:
    return cachecodec.loads(cachecodec.dumps(value))


def test_every_type_the_cache_holds_comes_back_as_it_went_in() -> None:
    origin = Origin("parameter Multi defaults to 'false'", "stack.yaml", 4)
    resource = Resource(
        "Db", "AWS::RDS::DBInstance", "cloudformation", "caf\udce9.yaml", 7, "stack",
        {"MultiAZ": Choice((("Multi ? (true branch)", True), ("Multi ? (false branch)", False))),
         "Subnets": [Ref("SubnetA"), Ref("SubnetB", "Id")], "Az": AzToken("", 1, "id"), "Secret": UNKNOWN,
         "Tags": ({"Key": "a"}, ["b", 1.5, -0.0, math.inf, None]), "Block": DynamicBlock({"port": 5432}, 2),
         "Odd": {1: "int key", "!": "bang key", (1, "x"): "tuple key", None: True}},
        lines={"Properties.MultiAZ": 9}, origins={"MultiAZ": Origin("a condition", via=(origin, origin))},
        meta=ResourceMeta(region="eu-west-1", references=[("Subnets", "SubnetA", None), ("DependsOn", "B", "Arn")],
                          deletion_policy=Choice((("c true", "Retain"), ("c false", "Delete"))),
                          attribute_lines={"DeletionPolicy": 8}, metadata={"cfn-lint": [1]},
                          parameter_refs=[("MultiAZ", "Multi")], az_replicas=(("stack-b", "Db"),),
                          nested_stack=NestedStack("child.yaml", "child.yaml", 9, (("Size", 2, origin), ("Env", UNKNOWN, None))),
                          calls=(ModuleCall("module.db", "./db", "", "main.tf", 3, False),), unresolved_dynamic=("ingress",),
                          computed_paths=("tags.Name",)))
    outcome = (Workload("stack", "cloudformation", "stack.yaml", {"description": "\x00\n\x1b[31m"}), [resource])
    back = round_trip(outcome)
    assert same(back, outcome)
    assert back[1][0].props["Secret"] is UNKNOWN
    assert back[1][0].origins["MultiAZ"].via[0] is back[1][0].origins["MultiAZ"].via[1]  # written once
    for plain in (LoadError("a.yaml", "bad", 3), ScanWarning("module-not-found", "gone", "main.tf", 2), [], {}, ()):
        assert same(round_trip(plain), plain)


@pytest.mark.slow  # every fixture file
def test_every_fixture_file_loads_into_types_the_cache_can_hold() -> None:
    """A loader that starts putting a new type into its results must say so here: the codec
    would not cache those files (silently slower)."""
    js = JobSettings((), None, None, 0)
    files = disc.discover([str(FIXTURES)]).files
    assert len(files) > 100
    for found in files:
        outcome = load_job(Job(found.path, found.shown, found.language), found.path.read_bytes(), js)
        try:
            assert same(round_trip(outcome), outcome), found.shown
        except cachecodec.CodecError as exc:
            pytest.fail(f"{found.shown}: {exc}")


def test_a_type_the_codec_does_not_know_is_refused_when_written() -> None:
    for value in (Path("x"), {1, 2}, b"bytes", object(), [Path("inside")], {"k": lambda: 1}):
        with pytest.raises(cachecodec.CodecError):
            cachecodec.dumps(value)


@pytest.mark.parametrize("text", [
    '{"!pickle": "cos\\nsystem"}',  # a tag that is not ours
    '{"!Resource": ["Db"]}',  # too few fields
    '{"!Origin": ["a", null, null, [], null, "extra", "more"]}',  # too many
    '{"!Origin": [1]}',  # description is a str
    '{"!Resource": ["Db", "T", "s", "f", "seven", "w", {}]}',  # line is an int
    '{"!Resource": ["Db", "T", "s", "f", 7, "w", {}, {"a": "x"}]}',  # lines map to ints
    '{"!ResourceMeta": ["eu-west-1", [["a", "b", null]]]}',  # references are tuples
    '{"!ResourceMeta": ["eu-west-1", [], 3]}',  # condition_unknown is a str
    '{"!Origin": ["a", null, null, [{"x": 1}]]}',  # via holds Origins
    '{"!shared": 0}',  # no origin read before
    '{"!tuple": {"a": 1}}', '{"!dict": [[[1], 2]]}', '{"!dict": [1]}', '{"!unknown": 1}', '{"!dynamic": [1]}',
    '{"!date": 5}', '[' * 100000 + ']' * 100000, '{"a": ', "NaN-not", "",
])
def test_anything_but_what_the_codec_writes_is_refused_when_read(text: str) -> None:
    with pytest.raises(cachecodec.CodecError):
        cachecodec.loads(text.encode())


# -- a planted or damaged entry is a miss ----------------------------------------------------


class _Planted:
    """Unpickling this creates the marker file: what an attacker's entry would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> Any:
        return (Path.touch, (self.marker,))


def test_a_planted_pickle_never_runs(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Planted(marker))
    pickle.loads(payload)  # the payload is live: unpickled, it writes the marker
    assert marker.exists()
    marker.unlink()
    cold = findings(repo, None)
    cache_dir = tmp_path / "cache"
    assert findings(repo, cache_dir) == cold
    target = entry_of(cache_dir, is_stack_yaml)  # the path the real key for stack.yaml maps to
    for path in entries(cache_dir):  # every entry, the root module's resolution too
        path.write_bytes(payload)
    target.write_bytes(cache_module.MAGIC + payload)  # and one that passes the first-line check
    assert findings(repo, cache_dir) == cold
    assert not marker.exists()
    assert is_stack_yaml(decoded(target))  # replaced by the fresh outcome
    assert all(payload not in path.read_bytes() for path in entries(cache_dir))
    assert findings(repo, cache_dir) == cold and not marker.exists()


def _damage(kind: str, path: Path) -> None:
    good = path.read_bytes()
    path.unlink()
    if kind == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif kind == "garbage":
        path.write_bytes(os.urandom(4096))
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "wrong shape":  # valid JSON, valid types, not an outcome: a bare resource list
        path.write_bytes(cache_module.MAGIC + b'[{"!Ref": ["x"]}]')
    elif kind == "wrong field type":  # the shape of a template's outcome, but a line that is not an int
        path.write_bytes(cache_module.MAGIC + b'{"!tuple": [{"!Workload": ["w", "cloudformation", "w.yaml"]}, '
                                              b'[{"!Resource": ["Db", "T", "cloudformation", "w.yaml", "7", "w", {}]}]]}')
    elif kind == "deep nesting":
        path.write_bytes(cache_module.MAGIC + b"[" * 1_000_000)
    elif kind == "claims to be huge":
        with open(path, "wb") as handle:  # sparse: 2^62 cannot be made, more than the bound can
            handle.write(cache_module.MAGIC + b"[")
            handle.truncate(cache_module.MAX_ENTRY_BYTES + 4096)
    elif kind == "a pipe":
        os.mkfifo(path)
    elif kind == "a link":
        (path.parent / "elsewhere").write_bytes(good)
        path.symlink_to(path.parent / "elsewhere")
    elif kind == "a directory":
        path.mkdir()
    else:
        raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["truncated", "garbage", "empty", "wrong shape", "wrong field type", "deep nesting",
                                  "claims to be huge", "a pipe", "a link"])
def test_a_damaged_entry_is_a_miss_and_is_removed(repo: Path, tmp_path: Path, kind: str) -> None:
    cold = findings(repo, None)
    cache_dir = tmp_path / "cache"
    findings(repo, cache_dir)
    damaged = entries(cache_dir)
    for path in damaged:
        _damage(kind, path)
    result = run(repo, cache_dir)
    assert result.errors == [] and not result.rule_failures
    assert sorted((Path(f.file).name, f.line, f.rule_id, f.resource) for f in result.findings) == cold
    for path in damaged:  # removed, and written again by this scan
        assert path.is_file() and not path.is_symlink()
        decoded(path)
    assert findings(repo, cache_dir) == cold


def test_a_damaged_entry_read_directly_is_none_and_gone(tmp_path: Path) -> None:
    store, _ = Cache.open(tmp_path / "cache")
    assert store is not None
    for index, kind in enumerate(("truncated", "garbage", "claims to be huge", "a pipe", "a link", "a directory")):
        key = f"{index:02x}" * 32
        store.put(key, (Workload("w", "cloudformation", "w.yaml"), []))
        path = store.directory / key[:2] / key[2:]
        _damage(kind, path)
        assert store.get(key) is None, kind
        assert not path.is_file() or path.is_dir(), kind  # (a directory is not ours to remove)
        if path.is_dir():
            path.rmdir()


# -- whose directory is it -------------------------------------------------------------------


def cache_refusals(result: ScanResult) -> list[ScanWarning]:
    return [w for w in result.warnings if isinstance(w, ScanWarning) and w.code == "cache-refused"]


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o702])
def test_a_cache_directory_others_may_write_to_is_refused(repo: Path, tmp_path: Path, mode: int) -> None:
    cold = findings(repo, None)
    cache_dir = tmp_path / "shared-cache"
    cache_dir.mkdir()
    cache_dir.chmod(mode)
    result = run(repo, cache_dir)
    refused = cache_refusals(result)
    assert len(refused) == 1
    assert str(cache_dir) in refused[0].message and "writable by" in refused[0].message
    assert "chmod go-w" in refused[0].message and "--cache-dir" in refused[0].message
    assert sorted((Path(f.file).name, f.line, f.rule_id, f.resource) for f in result.findings) == cold
    assert list(cache_dir.iterdir()) == []  # nothing read, nothing written


def test_the_cli_says_why_the_cache_is_refused_and_exits_as_without_it(repo: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)

    def cli(*args: str) -> CliRun:
        return run_cli(str(repo), "--format", "json", "--no-config", *args)
    refused, plain = cli("--cache-dir", str(shared)), cli("--no-cache")
    assert refused.returncode == plain.returncode == 1 and "Traceback" not in refused.stderr
    report, expected = json.loads(refused.stdout), json.loads(plain.stdout)
    assert report["findings"] == expected["findings"] and report["errors"] == expected["errors"]
    warned = [w for w in report["warnings"] if w["code"] == "cache-refused"]
    assert len(warned) == 1 and "writable by group and others" in warned[0]["message"]


def test_a_generation_directory_others_may_write_to_is_refused(repo: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    findings(repo, cache_dir)
    (cache_dir / cache_module.code_fingerprint()).chmod(0o777)
    result = run(repo, cache_dir)
    assert len(cache_refusals(result)) == 1 and "writable by group and others" in cache_refusals(result)[0].message
    assert result.findings and result.errors == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give a directory away")
def test_a_cache_directory_owned_by_someone_else_is_refused(repo: Path, tmp_path: Path) -> None:
    cold = findings(repo, None)
    cache_dir = tmp_path / "theirs"
    findings(repo, cache_dir)  # a cache full of valid entries, then handed to another user
    for path in [cache_dir, *cache_dir.rglob("*")]:
        os.chown(path, 65534, 65534, follow_symlinks=False)
    before = {p: p.read_bytes() for p in entries(cache_dir)}
    result = run(repo, cache_dir)
    refused = cache_refusals(result)
    assert len(refused) == 1 and "owned by another user (uid 65534" in refused[0].message
    assert "chown" in refused[0].message
    assert sorted((Path(f.file).name, f.line, f.rule_id, f.resource) for f in result.findings) == cold
    assert {p: p.read_bytes() for p in entries(cache_dir)} == before


def test_a_new_cache_directory_is_private(tmp_path: Path, repo: Path) -> None:
    cache_dir = tmp_path / "new" / "cache"
    findings(repo, cache_dir)
    folders = [cache_dir, cache_dir / cache_module.code_fingerprint(),
               *(p for p in (cache_dir / cache_module.code_fingerprint()).iterdir() if p.is_dir())]
    assert len(folders) > 2
    for folder in folders:
        assert folder.stat().st_mode & 0o077 == 0, folder


def test_a_cache_directory_that_cannot_be_made_is_said_and_the_scan_goes_on(repo: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = run(repo, blocker / "cache")
    assert len(cache_refusals(result)) == 1 and "cannot be created" in cache_refusals(result)[0].message
    assert result.findings and result.errors == []


# -- pruning ---------------------------------------------------------------------------------


def _aged(path: Path, seconds: float) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def test_interrupted_writes_and_old_generations_are_removed(tmp_path: Path) -> None:
    store, _ = Cache.open(tmp_path / "cache")
    assert store is not None
    store.put("cd" * 32, [1, 2])
    folder = store.directory / "cd"
    stale = folder / f"{cache_module.TEMP_PREFIX}interrupted"
    stale.write_bytes(b"half an entr")
    _aged(stale, 3600)
    fresh = folder / f"{cache_module.TEMP_PREFIX}being-written"
    fresh.write_bytes(b"half")
    old_generation = tmp_path / "cache" / "0123456789abcdef"
    (old_generation / "ab").mkdir(parents=True)
    (old_generation / "ab" / ("0" * 62)).write_bytes(b"\x80\x05old pickle")
    downloads = tmp_path / "cache" / "modules"  # not a generation: another part's, kept
    downloads.mkdir()
    lookalike = tmp_path / "cache" / "fedcba9876543210"  # named like one, but holds a file: not ours
    lookalike.mkdir()
    (lookalike / "notes.txt").write_text("mine")

    Cache.open(tmp_path / "cache")  # pruned at most every few minutes: not now
    assert stale.exists() and old_generation.exists()
    _aged(tmp_path / "cache" / "last-pruned", cache_module.PRUNE_EVERY_SECONDS + 60)
    Cache.open(tmp_path / "cache")
    assert not stale.exists() and not old_generation.exists()
    assert fresh.exists() and downloads.exists() and lookalike.exists() and store.get("cd" * 32) == [1, 2]


def test_the_cache_is_bounded_in_size_oldest_entries_first(tmp_path: Path) -> None:
    store, _ = Cache.open(tmp_path / "cache")
    assert store is not None
    keys = [f"{i:02x}" * 32 for i in range(10)]
    for age, key in enumerate(keys):
        store.put(key, ["x" * 1000])
        _aged(store.directory / key[:2] / key[2:], 1000 - age)  # keys[0] is the oldest
    size = (store.directory / keys[0][:2] / keys[0][2:]).stat().st_size
    _aged(tmp_path / "cache" / "last-pruned", cache_module.PRUNE_EVERY_SECONDS + 60)
    bounded, _ = Cache.open(tmp_path / "cache", max_bytes=size * 4 + size // 2)
    assert bounded is not None
    kept = [key for key in keys if bounded.get(key) is not None]
    assert kept == keys[-4:]


def test_a_key_takes_file_names_that_are_not_utf8(tmp_path: Path) -> None:
    store = Cache(tmp_path)
    name = os.fsdecode(b"caf\xe9.yaml")  # as discovery carries it: a surrogate escape
    assert store.key(b"x", name) != store.key(b"x", os.fsdecode(b"caf\xe8.yaml"))
    assert store.key(b"x", "ab", "c") != store.key(b"x", "a", "bc")
    assert store.key(b"x", "\ud800") != store.key(b"x", "\ud801")  # any lone surrogate


@pytest.mark.skipif(os.name == "nt", reason="file names are bytes on POSIX only")
def test_a_file_name_that_is_not_utf8_is_cached(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(FIXTURES / "HA101" / "cfn_bad.yaml", os.path.join(os.fsencode(root), b"caf\xe9.yaml"))
    cold = run(root, None)
    assert cold.findings and cold.errors == []
    run(root, tmp_path / "cache")
    assert everything(run(root, tmp_path / "cache")) == everything(cold)
    assert len(entries(tmp_path / "cache")) == 1
