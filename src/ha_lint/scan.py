"""The pipeline, end to end: discover -> load -> resolve -> graph -> rules -> findings.

Every stage that touches a file catches what can go wrong with it and turns it into one
``LoadError`` naming the file (and line when known); the scan of every other file goes on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ha_lint import discover as disc
from ha_lint.engine import Rule, run
from ha_lint.graph import Architecture, Options
from ha_lint.loaders import LoadFailure
from ha_lint.model import SEVERITY_RANK, Finding, LoadError, Resource, Workload


@dataclass
class ScanSettings:
    paths: list[str]
    exclude: list[str] = field(default_factory=list)
    max_file_size: int = disc.DEFAULT_MAX_BYTES
    parameters: dict[str, str] = field(default_factory=dict)  # CFN overrides
    region: str | None = None
    variables: dict[str, str] = field(default_factory=dict)  # TF --var
    var_files: list[str] = field(default_factory=list)
    options: Options = field(default_factory=Options)


@dataclass
class ScanResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rule_failures: list[str] = field(default_factory=list)
    files: int = 0
    resources: int = 0
    workloads: int = 0
    seconds: float = 0.0
    architecture: Architecture | None = None

    def failing(self, threshold: str) -> list[Finding]:
        if threshold == "never":
            return []
        rank = SEVERITY_RANK[threshold]
        return [f for f in self.findings if SEVERITY_RANK.get(f.severity, 0) >= rank]


def internal_error(exc: Exception) -> str:
    return f"{INTERNAL_ERROR} ({type(exc).__name__}: {exc}); please report it with this file"


INTERNAL_ERROR = "ha-lint could not process this file because of an internal error"


def read_text(path: Path, shown: str) -> str:
    """File text as UTF-8 (a BOM is dropped, CRLF is normalised), or a LoadFailure."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadFailure(f"cannot be read: {exc.strerror or exc}") from None
    if b"\x00" in data[:8192]:
        raise LoadFailure("is a binary file, not a template")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LoadFailure(f"is not valid UTF-8 (byte 0x{data[exc.start]:02x})", line) from None
    return text.replace("\r\n", "\n")


def load_documents(settings: ScanSettings, result: ScanResult) -> tuple[list[Workload], list[Resource]]:
    found = disc.discover(settings.paths, settings.exclude, settings.max_file_size)
    for shown, message in found.problems:
        result.errors.append(LoadError(shown, message))
    workloads: list[Workload] = []
    resources: list[Resource] = []
    documents = [c for c in found.files if c.language != disc.TF]
    tf_dirs = found.terraform_dirs()
    result.files = len(documents) + sum(len(v) for v in tf_dirs.values())
    for cand in documents:
        try:
            text = read_text(cand.path, cand.shown)
            if cand.language == disc.CFN:
                workload, res = _load_cfn(text, cand.shown, settings)
            else:
                workload, res = _load_plan(text, cand.shown, settings)
        except LoadFailure as exc:
            result.errors.append(LoadError(cand.shown, exc.message, exc.line))
            continue
        except RecursionError:
            result.errors.append(LoadError(cand.shown, "nesting too deep to load"))
            continue
        except Exception as exc:  # a bug of ours: this file is lost, never the scan
            result.errors.append(LoadError(cand.shown, internal_error(exc)))
            continue
        workloads.append(workload)
        resources.extend(res)
    if tf_dirs:
        _load_terraform(tf_dirs, settings, result, workloads, resources)
    return workloads, resources


def _load_cfn(text: str, shown: str, settings: ScanSettings) -> tuple[Workload, list[Resource]]:
    from ha_lint.loaders import cloudformation
    from ha_lint.resolve import cloudformation as resolve_cfn

    template = cloudformation.load(text, shown)
    if not isinstance(template.template.get("Resources"), dict):
        raise LoadFailure("Resources must be a mapping of logical IDs to resources",
                          template.lines.get("Resources"))
    return resolve_cfn.resolve(template, resolve_cfn.CfnSettings(settings.parameters, settings.region))


def _load_plan(text: str, shown: str, settings: ScanSettings) -> tuple[Workload, list[Resource]]:
    from ha_lint.loaders import tfplan
    from ha_lint.resolve import tfplan as resolve_plan

    return resolve_plan.resolve(tfplan.load(text, shown), settings.region)


def _load_terraform(tf_dirs: dict[Path, list[disc.Candidate]], settings: ScanSettings, result: ScanResult,
                    workloads: list[Workload], resources: list[Resource]) -> None:
    from ha_lint.loaders import terraform as tf
    from ha_lint.resolve import terraform as resolve_tf

    modules: dict[Path, tf.TfModule] = {}
    for directory, cands in sorted(tf_dirs.items()):
        shown_dir = str(Path(cands[0].shown).parent)
        module = tf.TfModule(shown_dir, directory)
        for cand in cands:
            try:
                module.files.append(tf.load_file(read_text(cand.path, cand.shown), cand.shown))
            except LoadFailure as exc:
                result.errors.append(LoadError(cand.shown, exc.message, exc.line))
            except RecursionError:
                result.errors.append(LoadError(cand.shown, "nesting too deep to load"))
            except Exception as exc:
                result.errors.append(LoadError(cand.shown, internal_error(exc)))
        modules[directory.resolve()] = module

    extra: dict[Path, tf.TfModule | None] = {}

    def load_module(path: Path) -> tf.TfModule | None:
        if path in modules:
            return modules[path]
        if path not in extra:  # a local module outside the scanned paths: load it for context
            extra[path] = None
            if path.is_dir():
                module = tf.TfModule(str(path), path)
                for file in sorted(path.glob("*.tf")):
                    try:
                        module.files.append(tf.load_file(read_text(file, str(file)), str(file)))
                    except Exception:  # context only: its own scan reports it
                        continue
                extra[path] = module
        return extra[path]

    def parse_tfvars(path: Path) -> dict[str, Any] | None:
        try:
            return tf.load_tfvars(read_text(path, str(path)), str(path))
        except LoadFailure as exc:
            result.errors.append(LoadError(str(path), exc.message, exc.line))
            return None

    tf_settings = resolve_tf.TfSettings(settings.variables, [Path(p) for p in settings.var_files], settings.region)
    for root in resolve_tf.root_modules(modules):
        if not root.files:
            continue
        try:
            tfvars = resolve_tf.read_tfvars(root, tf_settings, parse_tfvars)
            workload, res, warnings = resolve_tf.resolve(root, tf_settings, load_module, tfvars)
        except RecursionError:
            result.errors.append(LoadError(root.directory, "module nesting too deep to resolve"))
            continue
        except Exception as exc:
            result.errors.append(LoadError(root.directory, internal_error(exc)))
            continue
        workloads.append(workload)
        resources.extend(res)
        result.warnings.extend(warnings)


def scan(settings: ScanSettings, rules: list[Rule]) -> ScanResult:
    started = time.perf_counter()
    result = ScanResult()
    workloads, resources = load_documents(settings, result)
    arch = Architecture(workloads, resources, settings.options)
    result.architecture = arch
    result.resources = len(resources)
    result.workloads = len(workloads)
    for rule, outcome in run(rules, arch):
        if isinstance(outcome, Exception):
            result.rule_failures.append(f"rule {rule.id} failed: {type(outcome).__name__}: {outcome}")
        else:
            result.findings.append(outcome)
    result.findings.sort(key=lambda f: (f.file, f.line, f.rule_id, f.resource))
    result.errors.sort(key=lambda e: (e.file, e.line or 0))
    result.seconds = time.perf_counter() - started
    return result
