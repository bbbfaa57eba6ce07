"""The pipeline, end to end: discover -> load -> resolve -> graph -> rules -> findings.

Every stage that touches a file catches what can go wrong with it and turns it into one
``LoadError`` naming the file (and line when known); the scan of every other file goes on.
No file is waited on for ever: pipes and sockets are refused by discovery, each file's load
and each Terraform module's resolution run under ``--file-timeout``, a parallel worker that
dies or hangs costs only a reload of its files one by one, and a rule that crashes on one
workload is run again on the others (``_isolate_failure``). The parts have modules of their
own: ``textfile`` (reading and decoding), ``deadline`` (the time limit), ``pool`` (loading
the files, in worker processes when there are many), ``tfroots`` (Terraform root modules,
Terragrunt units and plans).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ha_lint import callsite, trace
from ha_lint import discover as disc
from ha_lint.deadline import nested_stacks_deadline
from ha_lint.engine import Rule, run
from ha_lint.graph import Architecture, Options
from ha_lint.loaders.cfnparameters import parameter_overrides
from ha_lint.model import SEVERITY_RANK, Finding, LoadError, Resource, ScanWarning, Workload, as_warning
from ha_lint.pool import Job, JobSettings, run_jobs
from ha_lint.root import RepositoryRoot
from ha_lint.textfile import read_text
from ha_lint.tfroots import load_terraform, place_plan


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
    stacks: list[Any] = field(default_factory=list)  # stacks.StackSpec: the configuration's ``stacks:`` entries
    # How far references (nested stacks, module sources, symbolic links) may reach (ha_lint.root):
    # None: each scanned path's repository root.
    root: Path | None = None
    trusted_dirs: list[Path] = field(default_factory=list)  # read as if inside the root (downloaded modules)
    plan_sources: Any = None  # resolve.plansource.PlanSources (--plan-source); None: each plan's own directory
    download_modules: bool = False  # fetch registry, git and archive module sources (ha_lint.fetch)
    # Told each step of a long load ("scanning 12/40 files"), then None when the scan ends
    # (ha_lint.progress: a line on a terminal's standard error); None: nobody is told.
    progress: Callable[[str | None], None] | None = field(default=None, compare=False, repr=False)
    # The root last worked out, with what it was worked out from (several stages ask; a
    # download directory trusted mid-scan changes it).
    _root: tuple[Any, RepositoryRoot] | None = field(default=None, init=False, compare=False, repr=False)

    def repository_root(self) -> RepositoryRoot:
        from ha_lint.root import repository_root

        asked = (tuple(self.paths), self.root, tuple(self.trusted_dirs))
        if self._root is None or self._root[0] != asked:
            self._root = (asked, repository_root(self.paths, self.root, self.trusted_dirs))
        return self._root[1]


@dataclass
class ScanResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    warnings: list[ScanWarning | str] = field(default_factory=list)  # plain strings: older producers (model.as_warning)
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


def load_documents(settings: ScanSettings, result: ScanResult) -> tuple[list[Workload], list[Resource]]:
    settings = _open_cache(settings, result)
    boundary = settings.repository_root()
    found = disc.discover(settings.paths, settings.exclude, settings.max_file_size, boundary)
    for shown, message in found.problems:
        result.errors.append(LoadError(shown, message))
    result.warnings.extend(found.warnings)
    units = [c for c in found.files if c.language == disc.TERRAGRUNT]  # resolved with the Terraform modules
    jobs = [Job(c.path, c.shown, c.language) for c in found.files if c.language != disc.TERRAGRUNT]
    result.files = len(jobs) + len(units)
    parameters, origins = dict(settings.parameters), {}
    if settings.parameter_files:
        parameters, origins = parameter_overrides(settings.parameter_files, settings.parameters, result.errors)
    js = JobSettings(tuple(sorted(parameters.items())), settings.region,
                      str(settings.cache_dir) if settings.cache_dir else None, settings.file_timeout,
                      tuple(sorted(origins.items())), settings.max_file_size)
    progress = settings.progress or (lambda text: None)
    outcomes = run_jobs(jobs, js, settings.jobs, done=lambda count: progress(f"scanning {count:,}/{len(jobs):,} files"))
    workloads: list[Workload] = []
    resources: list[Resource] = []
    tf_files: dict[Path, list[Any]] = {}
    planned_roots: set[Path] = set()  # root modules a plan stands for: the plan's values are judged, once
    for job, outcome in zip(jobs, outcomes):
        if outcome is None:  # not a template after all
            result.files -= 1
        elif isinstance(outcome, LoadError):
            result.errors.append(outcome)
        elif job.language == disc.TF:
            tf_files.setdefault(job.path.parent, []).append((job, outcome))
        else:
            workload, res = outcome
            if job.language == disc.PLAN:
                res = place_plan(job, res, settings, result, planned_roots)
            workloads.append(workload)
            resources.extend(res)
    from ha_lint import stacks

    def read(path: Path) -> str:
        return read_text(path, str(path), settings.max_file_size)
    recipes = _cfn_recipes(jobs, outcomes, parameters, origins, settings.region)
    specs = stacks.declared_stacks(settings.stacks, [job.path for job in jobs if job.language == disc.CFN], result.errors)
    if specs:
        workloads, resources = stacks.deploy(specs, workloads, resources, read, settings.region, result.errors,
                                             result.warnings, recipes)
    if any(r.meta.nested_stack is not None for r in resources):
        from ha_lint.resolve import cloudformation as resolve_cfn

        workloads, resources = resolve_cfn.expand_nested_stacks(
            workloads, resources, read, settings.region, result.warnings,
            bounded=lambda top: nested_stacks_deadline(top, settings.file_timeout, result.errors),
            boundary=boundary)
    if recipes:
        workloads, resources = stacks.connect(workloads, resources, recipes, read, result.warnings)
    if parameters:
        stacks.override_warnings(workloads, parameters, result.warnings)
    if any(job.language == disc.CFN for job in jobs):
        from ha_lint.resolve import cloudformation as resolve_cfn

        for workload in workloads:  # each template's own, however it came to be resolved
            result.warnings.extend(resolve_cfn.take_warnings(workload))
    tf_dirs = found.terraform_dirs()
    if tf_dirs or units:
        # Module downloads say what they fetch on lines of their own (ha_lint.fetch): no line to break.
        progress(None if settings.download_modules else f"evaluating {len(tf_dirs) + len(units):,} Terraform modules and units")
        load_terraform(tf_dirs, tf_files, settings, result, workloads, resources, planned_roots, units)
    return workloads, resources


def _cfn_recipes(jobs: list[Job], outcomes: list[Any], parameters: dict[str, Any], origins: dict[str, Any],
                 region: str | None) -> dict[str, Any]:
    """How each loaded template was resolved (workload id -> stacks.Recipe), to resolve it again
    once the exports it imports are known."""
    from ha_lint.stacks import Recipe

    loaded = [(job, outcome[0]) for job, outcome in zip(jobs, outcomes)
              if job.language == disc.CFN and isinstance(outcome, tuple)]
    if not loaded:
        return {}
    from ha_lint.resolve import cloudformation as resolve_cfn

    return {workload.id: Recipe(job.path, job.shown, resolve_cfn.CfnSettings(dict(parameters), region, dict(origins)))
            for job, workload in loaded}


def _open_cache(settings: ScanSettings, result: ScanResult) -> ScanSettings:
    """``settings``, without the cache when its directory may not be used (``Cache.open``: not
    ours, or others may write to it), which is a warning. Checked once, here: the workers are
    handed only a directory that passed."""
    if not settings.cache_dir:
        return settings
    from dataclasses import replace

    from ha_lint.cache import Cache

    cache, refused = Cache.open(Path(settings.cache_dir))
    if cache is None:
        if refused:
            result.warnings.append(refused)
        return replace(settings, cache_dir=None)
    return settings


def _isolate_failure(rule: Rule, arch: Architecture, exc: Exception) -> tuple[list[Finding], list[str]]:
    """A rule crashed on the whole architecture: find the workloads it crashes on (each checked
    alone), report those, and run it again on all the others, so that one odd template costs
    only its own findings of that rule."""
    def failure(where: str, error: Exception) -> str:
        return f"rule {rule.id} could not check {where} (an internal error: {type(error).__name__}: {error}); " \
               "its other findings are reported"

    by_workload: dict[str, list[Resource]] = {}
    for res in arch.resources:
        by_workload.setdefault(res.workload, []).append(res)
    broken: dict[str, Exception] = {}
    for wid, workload in arch.workloads.items():
        try:
            for _ in rule.check(Architecture([workload], by_workload.get(wid, []), arch.options)):
                pass
        except Exception as error:
            broken[wid] = error
    if not broken:  # it fails only with every workload together
        return [], [failure("this scan", exc)]
    rest = Architecture([w for wid, w in arch.workloads.items() if wid not in broken],
                        [r for r in arch.resources if r.workload not in broken], arch.options)
    notes = [failure(arch.workloads[wid].entry_file, error) for wid, error in broken.items()]
    try:
        return list(rule.check(rest)), notes
    except Exception as error:
        return [], notes + [failure("the other files", error)]


def _warning_order(item: ScanWarning | str) -> tuple[str, int, str, str]:
    warning = as_warning(item)
    return (warning.file or "", warning.line or 0, warning.code, warning.message)


def scan(settings: ScanSettings, rules: list[Rule]) -> ScanResult:
    try:
        return _scan(settings, rules)
    finally:
        if settings.progress is not None:
            settings.progress(None)  # the line is erased before anything else is printed


def _scan(settings: ScanSettings, rules: list[Rule]) -> ScanResult:
    started = time.perf_counter()
    result = ScanResult()
    workloads, resources = load_documents(settings, result)
    if settings.progress is not None and rules:
        settings.progress(f"checking {len(resources):,} resources")
    arch = Architecture(workloads, resources, settings.options)
    result.architecture = arch
    result.resources = len(resources)
    result.workloads = len(workloads)
    found: dict[str, list[Finding]] = {}
    for rule, outcome in run(rules, arch):
        if isinstance(outcome, Exception):
            findings, failures = _isolate_failure(rule, arch, outcome)
            found[rule.id] = findings
            result.rule_failures.extend(failures)
        else:  # (findings a rule gave before it crashed are replaced by _isolate_failure's)
            found.setdefault(rule.id, []).append(outcome)
    result.findings.extend(f for findings in found.values() for f in findings)
    result.findings = trace.attach(result.findings, resources)  # how each judged value was decided
    result.findings = callsite.place(result.findings, resources)  # a module's finding, at its call
    # A template nested twice can give one finding twice, word for word: report it once.
    result.findings = list(dict.fromkeys(result.findings))
    result.findings.sort(key=lambda f: (f.file, f.line, f.rule_id, f.resource))
    # Several roots calling one module say a thing once; in file and line order, whatever the load order.
    result.warnings = sorted(dict.fromkeys(result.warnings), key=_warning_order)
    result.errors.sort(key=lambda e: (e.file, e.line or 0))
    result.seconds = time.perf_counter() - started
    return result
