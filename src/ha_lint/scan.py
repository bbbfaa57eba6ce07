"""The pipeline, end to end: discover -> load -> resolve -> graph -> rules -> findings.

Every stage that touches a file catches what can go wrong with it and turns it into one
``LoadError`` naming the file (and line when known); the scan of every other file goes on.
"""

from __future__ import annotations

import os
import signal
import threading
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
    parameter_files: list[str] = field(default_factory=list)  # CFN parameter files (--parameter loses to none)
    region: str | None = None
    variables: dict[str, str] = field(default_factory=dict)  # TF --var
    var_files: list[str] = field(default_factory=list)
    options: Options = field(default_factory=Options)
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    cache_dir: Path | None = None  # None: no cache
    file_timeout: float = 20.0  # seconds per file; 0 = none


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
    suppressed: list[Any] = field(default_factory=list)  # suppress.Suppressed: accepted, with a reason
    baselined: int = 0  # findings the baseline accepts (not in ``findings``)

    def failing(self, threshold: str) -> list[Finding]:
        if threshold == "never":
            return []
        rank = SEVERITY_RANK[threshold]
        return [f for f in self.findings if SEVERITY_RANK.get(f.severity, 0) >= rank]


def internal_error(exc: Exception) -> str:
    return f"{INTERNAL_ERROR} ({type(exc).__name__}: {exc}); please report it with this file"


PARALLEL_THRESHOLD = 16  # below this many files, worker start-up costs more than it saves
INTERNAL_ERROR = "ha-lint could not process this file because of an internal error"


def read_text(path: Path, shown: str) -> str:
    """File text as UTF-8 (a BOM is dropped, CRLF is normalised), or a LoadFailure."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadFailure(f"cannot be read: {exc.strerror or exc}") from None
    return decode_text(data)


def decode_text(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise LoadFailure("is a binary file, not a template")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LoadFailure(f"is not valid UTF-8 (byte 0x{data[exc.start]:02x})", line) from None
    return text.replace("\r\n", "\n")


@dataclass(frozen=True)
class _Job:
    path: Path
    shown: str
    language: str


@dataclass(frozen=True)
class _JobSettings:
    parameters: tuple[tuple[str, str], ...]
    region: str | None
    cache_dir: str | None
    timeout: float
    parameter_origins: tuple[tuple[str, Any], ...] = ()  # parameter -> Origin (the file and line setting it)


class _Timeout(Exception):
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Timeout()


def _run_job(job: _Job, js: _JobSettings) -> Any:
    """Load one file: (workload, resources) for a template or plan, a TfFile for Terraform,
    or a LoadError. Runs in a worker process when the scan is parallel."""
    from ha_lint.cache import Cache

    try:
        data = job.path.read_bytes()
    except OSError as exc:
        return LoadError(job.shown, f"cannot be read: {exc.strerror or exc}")
    cache = Cache(Path(js.cache_dir)) if js.cache_dir else None
    key = cache.key(data, job.language, job.shown, repr(js.parameters), js.region or "",
                    repr(js.parameter_origins)) if cache else ""
    if cache:
        hit = cache.get(key)
        if hit is not None:
            return hit
    use_alarm = js.timeout > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if use_alarm:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, js.timeout)
    try:
        outcome = _load_job(job, data, js)
    except _Timeout:
        outcome = LoadError(job.shown, f"took longer than {js.timeout:g} s to load; skipped (--file-timeout)")
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    if cache and not (isinstance(outcome, LoadError) and INTERNAL_ERROR in outcome.message):
        cache.put(key, outcome)
    return outcome


def _load_job(job: _Job, data: bytes, js: _JobSettings) -> Any:
    try:
        text = decode_text(data)
        if job.language == disc.CFN:
            return _load_cfn(text, job.shown, dict(js.parameters), js.region, dict(js.parameter_origins))
        if job.language == disc.PLAN:
            return _load_plan(text, job.shown, js.region)
        from ha_lint.loaders import terraform as tf

        return tf.load_file(text, job.shown)
    except LoadFailure as exc:
        return LoadError(job.shown, exc.message, exc.line)
    except RecursionError:
        return LoadError(job.shown, "nesting too deep to load")
    except _Timeout:
        raise
    except Exception as exc:  # a bug of ours: this file is lost, never the scan
        return LoadError(job.shown, internal_error(exc))


def _run_jobs(jobs: list[_Job], js: _JobSettings, workers: int) -> list[Any]:
    if workers <= 1 or len(jobs) < PARALLEL_THRESHOLD:
        return [_run_job(job, js) for job in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method)) as pool:
        return list(pool.map(_run_job, jobs, [js] * len(jobs), chunksize=max(1, len(jobs) // (workers * 8))))


def load_documents(settings: ScanSettings, result: ScanResult) -> tuple[list[Workload], list[Resource]]:
    found = disc.discover(settings.paths, settings.exclude, settings.max_file_size)
    for shown, message in found.problems:
        result.errors.append(LoadError(shown, message))
    jobs = [_Job(c.path, c.shown, c.language) for c in found.files]
    result.files = len(jobs)
    parameters, origins = dict(settings.parameters), {}
    if settings.parameter_files:
        from ha_lint.resolve import cloudformation as resolve_cfn

        parameters, origins = resolve_cfn.parameter_overrides(settings.parameter_files, settings.parameters, result.errors)
    js = _JobSettings(tuple(sorted(parameters.items())), settings.region,
                      str(settings.cache_dir) if settings.cache_dir else None, settings.file_timeout,
                      tuple(sorted(origins.items())))
    outcomes = _run_jobs(jobs, js, settings.jobs)
    workloads: list[Workload] = []
    resources: list[Resource] = []
    tf_files: dict[Path, list[Any]] = {}
    for job, outcome in zip(jobs, outcomes):
        if isinstance(outcome, LoadError):
            result.errors.append(outcome)
        elif job.language == disc.TF:
            tf_files.setdefault(job.path.parent, []).append((job, outcome))
        else:
            workload, res = outcome
            workloads.append(workload)
            resources.extend(res)
    if any("nested_stack" in r.meta for r in resources):
        from ha_lint.resolve import cloudformation as resolve_cfn

        workloads, resources = resolve_cfn.expand_nested_stacks(
            workloads, resources, lambda path: read_text(path, str(path)), settings.region, result.warnings)
    tf_dirs = found.terraform_dirs()
    if tf_dirs:
        _load_terraform(tf_dirs, tf_files, settings, result, workloads, resources)
    return workloads, resources


def _load_cfn(text: str, shown: str, parameters: dict[str, str], region: str | None,
              origins: dict[str, Any] | None = None) -> tuple[Workload, list[Resource]]:
    from ha_lint.loaders import cloudformation
    from ha_lint.resolve import cloudformation as resolve_cfn

    template = cloudformation.load(text, shown)
    if not isinstance(template.template.get("Resources"), dict):
        raise LoadFailure("Resources must be a mapping of logical IDs to resources",
                          template.lines.get("Resources"))
    return resolve_cfn.resolve(template, resolve_cfn.CfnSettings(parameters, region, origins or {}))


def _load_plan(text: str, shown: str, region: str | None) -> tuple[Workload, list[Resource]]:
    from ha_lint.loaders import tfplan
    from ha_lint.resolve import tfplan as resolve_plan

    return resolve_plan.resolve(tfplan.load(text, shown), region)


def _load_terraform(tf_dirs: dict[Path, list[disc.Candidate]], parsed: dict[Path, list[Any]], settings: ScanSettings,
                    result: ScanResult, workloads: list[Workload], resources: list[Resource]) -> None:
    from ha_lint.loaders import terraform as tf
    from ha_lint.resolve import terraform as resolve_tf

    modules: dict[Path, tf.TfModule] = {}
    for directory, cands in sorted(tf_dirs.items()):
        shown_dir = str(Path(cands[0].shown).parent)
        module = tf.TfModule(shown_dir, directory)
        module.files.extend(tf_file for _, tf_file in parsed.get(directory, []))
        modules[directory.resolve()] = module

    extra: dict[Path, tf.TfModule | None] = {}

    def load_module(path: Path) -> tf.TfModule | None:
        if path in modules:
            return modules[path]
        if path not in extra:  # a local module outside the scanned paths: load it for context
            extra[path] = None
            if path.is_dir():
                shown = os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)
                module = tf.TfModule(shown, path)
                for file in sorted(path.glob("*.tf")):
                    try:
                        module.files.append(tf.load_file(read_text(file, str(file)), os.path.join(shown, file.name)))
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
    # A template nested twice can give one finding twice, word for word: report it once.
    result.findings = list(dict.fromkeys(result.findings))
    result.findings.sort(key=lambda f: (f.file, f.line, f.rule_id, f.resource))
    result.errors.sort(key=lambda e: (e.file, e.line or 0))
    result.seconds = time.perf_counter() - started
    return result
