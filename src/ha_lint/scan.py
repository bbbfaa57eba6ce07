"""The pipeline, end to end: discover -> load -> resolve -> graph -> rules -> findings.

Every stage that touches a file catches what can go wrong with it and turns it into one
``LoadError`` naming the file (and line when known); the scan of every other file goes on.
No file is waited on for ever: pipes and sockets are refused by discovery, each file's load
and each Terraform module's resolution run under ``--file-timeout``, a parallel worker that
dies or hangs costs only a reload of its files one by one, and a rule that crashes on one
workload is run again on the others (``_isolate_failure``).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from ha_lint import callsite, trace
from ha_lint import discover as disc
from ha_lint.engine import Rule, run
from ha_lint.graph import Architecture, Options
from ha_lint.loaders import LoadFailure
from ha_lint.model import SEVERITY_RANK, Finding, LoadError, Resource, ScanWarning, Workload, as_warning
from ha_lint.root import RepositoryRoot


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

    def repository_root(self) -> "RepositoryRoot":
        from ha_lint.root import repository_root

        return repository_root(self.paths, self.root, self.trusted_dirs)


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


def internal_error(exc: Exception) -> str:
    return f"{INTERNAL_ERROR} ({type(exc).__name__}: {exc}); please report it with this file"


PARALLEL_THRESHOLD = 16  # below this many files, worker start-up costs more than it saves
INTERNAL_ERROR = "ha-lint could not process this file because of an internal error"


def read_text(path: Path, shown: str = "", max_bytes: int = disc.DEFAULT_MAX_BYTES) -> str:
    """File text as UTF-8 (a BOM is dropped, CRLF is normalised), or a LoadFailure. For the
    files read beside the scanned ones (nested templates, modules, tfvars): a pipe, a broken
    link or an enormous file is refused, never waited on."""
    return decode_text(read_bytes(path, max_bytes))


def read_bytes(path: Path, max_bytes: int = disc.DEFAULT_MAX_BYTES) -> bytes:
    problem = disc.not_a_regular_file(path)
    if problem:
        raise LoadFailure(problem)
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1) if max_bytes > 0 else handle.read()
    except OSError as exc:
        raise LoadFailure(f"cannot be read: {exc.strerror or exc}") from None
    if max_bytes > 0 and len(data) > max_bytes:
        raise LoadFailure(disc.too_large(path.stat().st_size, max_bytes))
    return data


_WIDE_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
              (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))


def _looks_utf16(head: bytes) -> bool:
    """Text saved as UTF-16 without a BOM: one byte lane all zeros, the other printable ASCII."""
    if len(head) < 16:
        return False
    for zeros, text in ((head[1::2], head[0::2]), (head[0::2], head[1::2])):
        if zeros.count(0) >= 0.9 * len(zeros) and all(32 <= b < 127 or b in (9, 10, 13) for b in text):
            return True
    return False


def decode_text(data: bytes) -> str:
    for bom, encoding in _WIDE_BOMS:
        if data.startswith(bom):
            raise LoadFailure(f"is encoded as {encoding}; CloudFormation and Terraform templates are read as UTF-8: "
                              "save it as UTF-8", 1)
    head = data[:8192]
    if b"\x00" in head:
        if _looks_utf16(head):
            raise LoadFailure("is encoded as UTF-16 (every other byte is zero); save it as UTF-8", 1)
        raise LoadFailure("is a binary file (it contains NUL bytes), not a template")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LoadFailure(f"is not valid UTF-8: byte 0x{data[exc.start]:02x} at line {line}, column {column} "
                          "(saved in another encoding, such as Latin-1?); save it as UTF-8", line) from None
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
    max_bytes: int = disc.DEFAULT_MAX_BYTES


class _Timeout(BaseException):
    """The file's time is up. A BaseException, so that no ``except Exception`` in a parser
    (cfn-lint, lark) can mistake it for a syntax error and carry on."""


_ARMED = [False]  # a deadline is running (a late alarm after it ended must not raise)
_REPEAT = 0.1  # seconds: an alarm swallowed where exceptions are ignored (a __del__) fires again


def _on_alarm(signum: int, frame: Any) -> None:
    if _ARMED[0]:
        raise _Timeout()


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise _Timeout in the block after ``seconds``, and again every 0.1 s until the block
    ends (POSIX, main thread; 0: no limit). A timer already running (the caller's own alarm)
    is put back, less the time spent here."""
    if seconds <= 0 or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    started = time.monotonic()
    outer, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds, _REPEAT)
    _ARMED[0] = True
    try:
        yield
    finally:
        while True:  # an alarm landing in here must not skip the clean-up
            try:
                _ARMED[0] = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                if outer > 0:
                    signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 0.001), outer_interval)
                break
            except _Timeout:
                continue


def timed_out(what: str, seconds: float) -> str:
    return f"took longer than {seconds:g} s to {what}; skipped (--file-timeout)"


@contextmanager
def _nested_stacks_deadline(template: str, seconds: float, errors: list[LoadError]) -> Iterator[None]:
    """The expansion of one top-level template's nested stacks, under the per-file deadline:
    when it runs out, one error names the template and the block ends (nothing is raised)."""
    try:
        with _deadline(seconds):
            yield
    except _Timeout:
        errors.append(LoadError(template, f"its nested stacks {timed_out('expand', seconds)}"))


def _run_job(job: _Job, js: _JobSettings) -> Any:
    """Load one file: (workload, resources) for a template or plan, a TfFile for Terraform,
    or a LoadError. Runs in a worker process when the scan is parallel."""
    from ha_lint.cache import Cache

    try:
        data = read_bytes(job.path, js.max_bytes)
    except LoadFailure as exc:
        return LoadError(job.shown, exc.message, exc.line)
    cache = Cache(Path(js.cache_dir)) if js.cache_dir else None  # (checked by the parent: _open_cache)
    key = _cache_key(cache, data, job, js) if cache else ""
    if cache:
        hit = cache.get(key, lambda outcome: _is_outcome(job.language, outcome))
        if hit is not None:
            return hit
    try:
        with _deadline(js.timeout):
            outcome = _load_job(job, data, js)
    except _Timeout:  # depends on the machine and the limit, not on the file: never cached
        return LoadError(job.shown, timed_out("load", js.timeout))
    if cache and outcome is not None and not (isinstance(outcome, LoadError) and INTERNAL_ERROR in outcome.message):
        cache.put(key, outcome)
    return outcome


def _cache_key(cache: Any, data: bytes, job: _Job, js: _JobSettings) -> str:
    return cache.key(data, job.language, job.shown, repr(js.parameters), js.region or "", repr(js.parameter_origins))


def _is_outcome(language: str, outcome: Any) -> bool:
    """Whether a cached value has the shape ``_load_job`` gives for a file of ``language``
    (the cache is not trusted; what is inside was checked by its codec)."""
    if isinstance(outcome, LoadError):
        return True
    if language == disc.TF:
        from ha_lint.loaders.terraform import TfFile

        return isinstance(outcome, TfFile)
    return (isinstance(outcome, tuple) and len(outcome) == 2 and isinstance(outcome[0], Workload)
            and _all_resources(outcome[1]))


def _all_resources(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, Resource) for item in value)


def _cached_outcomes(jobs: list[_Job], js: _JobSettings) -> list[Any]:
    """Each job's cached outcome, or _MISS. Looked up in this process before any worker
    starts: on a warm re-scan, starting processes and sending every outcome back through a
    pipe costs more than reading the cache here (corpus, 2 cores: 2.9 s -> 2.2 s)."""
    from ha_lint.cache import Cache

    cache = Cache(Path(js.cache_dir))  # type: ignore[arg-type]
    outcomes: list[Any] = []
    for job in jobs:
        if len(outcomes) == _PROBE and all(o is _MISS for o in outcomes):
            return outcomes + [_MISS] * (len(jobs) - _PROBE)  # a cold cache: the workers look up the rest
        try:
            data = read_bytes(job.path, js.max_bytes)
        except LoadFailure:
            outcomes.append(_MISS)  # the worker reports it
            continue
        hit = cache.get(_cache_key(cache, data, job, js), lambda outcome: _is_outcome(job.language, outcome))
        outcomes.append(_MISS if hit is None else hit)
    return outcomes


_MISS = object()
_PROBE = 32  # files looked up before a scan that has hit none is taken for a cold one


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
        return LoadError(job.shown, "nests too deeply to load; not loaded")
    except MemoryError:
        return LoadError(job.shown, "needs more memory to load than this machine allows; not loaded")
    except Exception as exc:  # a bug of ours: this file is lost, never the scan
        return LoadError(job.shown, internal_error(exc))


def _run_jobs(jobs: list[_Job], js: _JobSettings, workers: int, look_up: bool = True,
              done: Callable[[int], None] = lambda count: None) -> list[Any]:
    """Every job's outcome, in order; ``done`` is told how many are finished as they finish. In
    parallel, a worker that dies (killed for memory, a crash in C code) or stops answering (stuck
    where no alarm reaches) loses only its own files: the unfinished ones are loaded again one by
    one, each in a process of its own."""
    if workers <= 1 or len(jobs) < PARALLEL_THRESHOLD:
        out = []
        for job in jobs:
            out.append(_run_job(job, js))
            done(len(out))
        return out
    if js.cache_dir and look_up:
        outcomes = _cached_outcomes(jobs, js)
        misses = [i for i, outcome in enumerate(outcomes) if outcome is _MISS]
        if len(misses) < len(jobs):
            cached = len(jobs) - len(misses)
            done(cached)
            for index, outcome in zip(misses, _run_jobs([jobs[i] for i in misses], js, workers, look_up=False,
                                                        done=lambda count: done(cached + count))):
                outcomes[index] = outcome
            return outcomes
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    size = max(1, len(jobs) // (workers * 8))
    outcomes: list[Any] = [None] * len(jobs)
    lost: list[int] = []
    stall = (js.timeout if js.timeout > 0 else 300) * size + 60  # no chunk takes this long when alarms work
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    stuck = False
    loaded = 0
    try:
        pending = {pool.submit(_run_chunk, jobs[i:i + size], js): range(i, min(i + size, len(jobs)))
                   for i in range(0, len(jobs), size)}
        while pending:
            finished, _ = wait(pending, timeout=stall, return_when=FIRST_COMPLETED)
            if not finished:
                stuck = True
                break
            for future in finished:
                chunk = pending.pop(future)
                try:
                    for index, outcome in zip(chunk, future.result()):
                        outcomes[index] = outcome
                except Exception:  # BrokenProcessPool: the worker died
                    lost.extend(chunk)
                loaded += len(chunk)
                done(loaded)
        for chunk in pending.values():
            lost.extend(chunk)
    finally:
        if stuck:
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.kill()
        pool.shutdown(wait=not stuck, cancel_futures=True)
    for index in sorted(lost):
        outcomes[index] = _run_isolated(jobs[index], js, context)
    return outcomes


def _run_chunk(jobs: list[_Job], js: _JobSettings) -> list[Any]:
    return [_run_job(job, js) for job in jobs]


def _run_isolated(job: _Job, js: _JobSettings, context: Any) -> Any:
    """One job in a process of its own, killed if it outlives its alarm: its outcome, or a
    LoadError saying that loading it killed the process."""
    reader, writer = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(writer, job, js), daemon=True)
    process.start()
    writer.close()
    limit = js.timeout * 2 + 10 if js.timeout > 0 else None
    outcome: Any = None
    answered = killed = False
    try:
        if reader.poll(limit):
            outcome, answered = reader.recv(), True
    except (EOFError, OSError):  # the process died before it answered
        pass
    finally:
        reader.close()
        process.join(1)
        if process.is_alive():
            process.kill()
            process.join()
            killed = True
    if answered:
        return outcome
    if killed:
        return LoadError(job.shown, timed_out("load", js.timeout))
    code = process.exitcode or 0
    how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
    return LoadError(job.shown, f"could not be loaded: the process loading it died ({how}; out of memory?); not loaded")


def _child(writer: Any, job: _Job, js: _JobSettings) -> None:
    writer.send(_run_job(job, js))
    writer.close()


def load_documents(settings: ScanSettings, result: ScanResult) -> tuple[list[Workload], list[Resource]]:
    settings = _open_cache(settings, result)
    boundary = settings.repository_root()
    found = disc.discover(settings.paths, settings.exclude, settings.max_file_size, boundary)
    for shown, message in found.problems:
        result.errors.append(LoadError(shown, message))
    result.warnings.extend(found.warnings)
    units = [c for c in found.files if c.language == disc.TERRAGRUNT]  # resolved with the Terraform modules
    jobs = [_Job(c.path, c.shown, c.language) for c in found.files if c.language != disc.TERRAGRUNT]
    result.files = len(jobs) + len(units)
    parameters, origins = dict(settings.parameters), {}
    if settings.parameter_files:
        from ha_lint.resolve import cloudformation as resolve_cfn

        parameters, origins = resolve_cfn.parameter_overrides(settings.parameter_files, settings.parameters, result.errors)
    js = _JobSettings(tuple(sorted(parameters.items())), settings.region,
                      str(settings.cache_dir) if settings.cache_dir else None, settings.file_timeout,
                      tuple(sorted(origins.items())), settings.max_file_size)
    progress = settings.progress or (lambda text: None)
    outcomes = _run_jobs(jobs, js, settings.jobs, done=lambda count: progress(f"scanning {count:,}/{len(jobs):,} files"))
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
                res = _place_plan(job, res, settings, result, planned_roots)
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
    if any("nested_stack" in r.meta for r in resources):
        from ha_lint.resolve import cloudformation as resolve_cfn

        workloads, resources = resolve_cfn.expand_nested_stacks(
            workloads, resources, read, settings.region, result.warnings,
            bounded=lambda top: _nested_stacks_deadline(top, settings.file_timeout, result.errors),
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
        _load_terraform(tf_dirs, tf_files, settings, result, workloads, resources, planned_roots, units)
    return workloads, resources


def _cfn_recipes(jobs: list[_Job], outcomes: list[Any], parameters: dict[str, Any], origins: dict[str, Any],
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


def _load_cfn(text: str, shown: str, parameters: dict[str, str], region: str | None,
              origins: dict[str, Any] | None = None) -> tuple[Workload, list[Resource]] | None:
    from ha_lint.loaders import cloudformation
    from ha_lint.resolve import cloudformation as resolve_cfn

    template = cloudformation.load_template(text, shown, importing=_deadline_paused)
    if template is None:
        return None  # it only looked like one (a test event embedding a template): skipped, as discovery would
    return resolve_cfn.resolve(template, resolve_cfn.CfnSettings(parameters, region, origins or {}))


def _load_plan(text: str, shown: str, region: str | None) -> tuple[Workload, list[Resource]]:
    from ha_lint.loaders import tfplan
    from ha_lint.resolve import tfplan as resolve_plan

    return resolve_plan.resolve(tfplan.load(text, shown), region)


def _place_plan(job: _Job, resources: list[Resource], settings: ScanSettings, result: ScanResult,
                planned_roots: set[Path]) -> list[Resource]:
    """A plan's resources at their ``resource`` blocks in the configuration it was made from
    (``resolve.plansource``), a child module's with the calls and origins of that configuration
    resolved (a finding an input decides is reported at the input); that root module's directory
    is added to ``planned_roots``."""
    from ha_lint.loaders import terraform as tf
    from ha_lint.resolve import plansource

    sources = settings.plan_sources or plansource.PlanSources()
    source = sources.directory_for(job.path, job.shown)

    def load(directory: Path, shown: str) -> tf.TfModule | None:
        if not plansource.has_configuration(directory):
            return None
        module = tf.TfModule(shown, directory)
        for file in sorted([*directory.glob("*.tf"), *directory.glob("*.tf.json")]):
            try:
                module.files.append(tf.load_file(read_text(file, str(file), settings.max_file_size),
                                                 os.path.join(shown, file.name)))
            except LoadFailure:
                continue  # reported where the file is scanned; its resources stay at the plan's line
        return module
    def configured(directory: Path, shown: str) -> list[Resource]:
        """The configuration's resources resolved as a scan of it would (only for where values were written)."""
        from ha_lint.resolve import terraform as resolve_tf
        from ha_lint.root import repository_root

        root = load(directory, shown)
        if root is None or not any(b.labels for b in root.blocks("module")):
            return []
        # The directory --plan-source names is read as a scanned path is.
        boundary = repository_root([*settings.paths, str(directory)], settings.root, settings.trusted_dirs)
        tf_settings = resolve_tf.TfSettings(settings.variables, [Path(p) for p in settings.var_files], settings.region,
                                            boundary=boundary)

        def load_module(path: Path) -> tf.TfModule | None:
            return load(path, os.path.normpath(os.path.join(shown, os.path.relpath(path, directory.resolve()))))

        def parse_tfvars(path: Path) -> dict[str, Any] | None:
            try:  # (the plan's values decide: a tfvars file that does not load only costs origins)
                return tf.load_tfvars(read_text(path, str(path), settings.max_file_size), str(path))
            except LoadFailure:
                return None
        return resolve_tf.resolve(root, tf_settings, load_module, resolve_tf.read_tfvars(root, tf_settings, parse_tfvars))[1]
    try:
        placed, warnings = plansource.locate(resources, job.shown, source, load)
        if source is not None:
            with _deadline(settings.file_timeout):
                placed = plansource.at_call_sites(placed, configured(*source))
    except _Timeout:  # (only the calls are not followed: the places stand)
        warnings.append(ScanWarning("plan-source-mismatch", f"resolving the configuration at {source[1]} took longer "  # type: ignore[index]
                                    f"than {settings.file_timeout:g} s (--file-timeout): module findings stay at the "
                                    "modules' lines", job.shown, 1))
    except Exception as exc:  # a bug of ours: the findings stay at the plan file, never the scan
        result.warnings.append(ScanWarning("plan-source-mismatch", internal_error(exc), job.shown, 1))
        return resources
    result.warnings.extend(warnings)
    if source is not None:
        planned_roots.add(source[0].resolve())
    return placed


def _load_terraform(tf_dirs: dict[Path, list[disc.Candidate]], parsed: dict[Path, list[Any]], settings: ScanSettings,
                    result: ScanResult, workloads: list[Workload], resources: list[Resource],
                    planned_roots: set[Path] | None = None, units: list[disc.Candidate] | None = None) -> None:
    from ha_lint.loaders import terraform as tf
    from ha_lint.resolve import terraform as resolve_tf

    modules: dict[Path, tf.TfModule] = {}
    for directory, cands in sorted(tf_dirs.items()):
        shown_dir = str(Path(cands[0].shown).parent)
        module = tf.TfModule(shown_dir, directory)
        module.files.extend(tf_file for _, tf_file in parsed.get(directory, []))
        modules[directory.resolve()] = module

    extra: dict[Path, tf.TfModule | None] = {}
    # Files of modules outside the scanned paths that could not be loaded: no scan reports them, so
    # each root that reads the module says so (kept with the root's resolution in the cache).
    unreadable: dict[Path, list[ScanWarning]] = {}

    def shown_of(path: Path) -> str:
        if path in modules:
            return modules[path].directory
        return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)

    def load_module(path: Path) -> tf.TfModule | None:
        if path in modules:
            return modules[path]
        if path not in extra:  # a local module outside the scanned paths: load it for context
            extra[path] = None
            if path.is_dir():
                shown = shown_of(path)
                module = tf.TfModule(shown, path)
                for file in sorted([*path.glob("*.tf"), *path.glob("*.tf.json")]):
                    shown_file = os.path.join(shown, file.name)
                    boundary = tf_settings.boundary  # (with the download directory, once there is one)
                    if boundary is not None and not boundary.inside_root(file):  # a link leading out of the root
                        unreadable.setdefault(path, []).append(boundary.outside("the target of this symbolic link",
                                                                                shown_file, None))
                        continue
                    try:
                        module.files.append(tf.load_file(read_text(file, str(file), settings.max_file_size), shown_file))
                    except LoadFailure as exc:
                        unreadable.setdefault(path, []).append(ScanWarning(
                            "module-file-not-loaded", f"{exc.message}; this module file is outside the scanned paths "
                            "and its resources are not checked", shown_file, exc.line))
                    except Exception as exc:  # a bug of ours: this file is lost, never the scan
                        unreadable.setdefault(path, []).append(ScanWarning(
                            "module-file-not-loaded", internal_error(exc), shown_file))
                extra[path] = module
        return extra[path]

    def parse_tfvars(path: Path) -> dict[str, Any] | None:
        try:
            return tf.load_tfvars(read_text(path, str(path), settings.max_file_size), str(path))
        except LoadFailure as exc:
            result.errors.append(LoadError(str(path), exc.message, exc.line))
            return None

    tf_settings = resolve_tf.TfSettings(settings.variables, [Path(p) for p in settings.var_files], settings.region,
                                        boundary=settings.repository_root())
    fetcher = _module_fetcher(settings, tf_settings, result) if settings.download_modules else None
    cache = _module_cache(settings, tf_settings)
    roots = resolve_tf.root_modules(modules)
    unit_scan = _UnitScan(settings, result, tf_settings, load_module, parse_tfvars, shown_of, cache,
                          lambda: fetcher.offline_uses if fetcher is not None else 0)
    deployed = unit_scan.run(units or [], workloads, resources)
    roots = [root for root in roots if root.path.resolve() not in deployed]  # evaluated through their units
    result.warnings.extend(_unknown_cli_variables(roots, settings))
    for root in roots:
        if not root.files or root.path.resolve() in (planned_roots or set()):
            continue  # (a plan made from this root is judged instead: its values are what will be deployed)
        key = cache.key(os.fsencode(root.path.resolve()), root.directory, *(f.file for f in root.files)) if cache else ""
        hit = _cached_resolution(cache, key, shown_of) if cache else None
        if hit is not None:
            workloads.append(hit[0])
            resources.extend(hit[1])
            result.warnings.extend(hit[2])
            continue
        used: list[Path] = [root.path.resolve()]

        def load_used(path: Path) -> tf.TfModule | None:
            used.append(path)
            return load_module(path)
        try:
            errors_before = len(result.errors)
            offline_before = fetcher.offline_uses if fetcher is not None else 0
            with _deadline(settings.file_timeout):
                tfvars = resolve_tf.read_tfvars(root, tf_settings, parse_tfvars)
                workload, res, warnings = resolve_tf.resolve(root, tf_settings, load_used, tfvars)
                warnings += [w for path in dict.fromkeys(used) for w in unreadable.get(path, [])]
            # A root resolved with a cached module because its registry was down is not kept: the next run asks again.
            offline = fetcher is not None and fetcher.offline_uses > offline_before
            if cache and len(result.errors) == errors_before and not offline:
                from ha_lint.cache import directory_digest

                deps = [(str(p), shown_of(p), directory_digest(p)) for p in dict.fromkeys(used)]
                cache.put(key, (deps, workload, res, warnings))
        except _Timeout:
            result.errors.append(LoadError(root.directory, f"module {timed_out('resolve', settings.file_timeout)}"))
            continue
        except RecursionError:
            result.errors.append(LoadError(root.directory, "module nesting too deep to resolve"))
            continue
        except Exception as exc:
            result.errors.append(LoadError(root.directory, internal_error(exc)))
            continue
        workloads.append(workload)
        resources.extend(res)
        result.warnings.extend(warnings)


@dataclass
class _UnitScan:
    """Terragrunt units scanned as the root modules they deploy (``resolve.terragrunt``): each
    unit's module with its ``inputs`` as variables (a tfvars file inside the module wins, as
    Terragrunt passes inputs as ``TF_VAR_`` variables); findings an input decides are reported
    at that input. A unit's ``dependency.x.outputs`` are the outputs of the module its
    dependency's unit deploys. Each outcome is cached with every file and directory that
    decided it: the unit's configuration files, its module's, its dependencies' (theirs too)."""

    settings: ScanSettings
    result: ScanResult
    tf_settings: Any
    load_module: Any
    parse_tfvars: Any
    shown_of: Any
    cache: Any  # _KeyedCache, or None
    offline_uses: Any  # () -> how often a registry was down and a cached module used instead

    def run(self, candidates: list[disc.Candidate], workloads: list[Workload], resources: list[Resource]) -> set[Path]:
        """Scan the units among ``terragrunt.hcl`` files (a parent only included is none); the
        local module directories they deploy (not roots of their own)."""
        from ha_lint.resolve import terragrunt

        deployed: set[Path] = set()
        reader = terragrunt.UnitReader(self._read, self._module_outputs)
        for candidate in candidates:
            key = self.cache.key(os.fsencode(candidate.path.resolve()), candidate.shown, "terragrunt unit") \
                if self.cache else ""
            hit = _cached_unit(self.cache, key, self.shown_of) if self.cache else None
            if hit is None:
                hit = self._scan(reader, candidate, key)
            if hit is None:
                continue
            workload, res, warnings, local = hit
            self.result.warnings.extend(warnings)
            if workload is not None:
                workloads.append(workload)
                resources.extend(res)
            if local:
                deployed.add(Path(local))
        return deployed

    def _read(self, path: Path) -> str:  # a configuration file: the unit's, a parent, one read_terragrunt_config reads
        boundary = self.settings.repository_root()
        if not boundary.inside_root(path):
            raise LoadFailure(f"outside the repository root ({boundary.shown()}); not read (--root DIR widens it)")
        return read_text(path, str(path), self.settings.max_file_size)

    def _module_outputs(self, unit: Any) -> dict[str, Any] | None:
        from ha_lint.resolve import terraform as resolve_tf

        load_used = self._recording(unit)
        module = _unit_module(unit, self.settings, self.tf_settings, load_used)
        if isinstance(module, ScanWarning):
            return None
        try:
            return resolve_tf.root_outputs(module[1], self.tf_settings, load_used,
                                           _unit_tfvars(unit, module[0], self.tf_settings, self.parse_tfvars))
        except Exception as exc:  # a bug of ours: this dependency's outputs are unknown, never the scan
            unit.warnings.append(ScanWarning("terragrunt-dependency", internal_error(exc), unit.file))
            return None

    def _scan(self, reader: Any, candidate: disc.Candidate, key: str) -> tuple[Any, list[Resource], list[Any], str] | None:
        """One unit read and resolved: (its workload or None, resources, warnings, the local
        module directory it deploys or ""); None when it cannot be (a load error says why)."""
        from ha_lint.model import ModuleCall
        from ha_lint.resolve import terraform as resolve_tf
        from ha_lint.resolve import terragrunt

        errors_before, offline_before = len(self.result.errors), self.offline_uses()
        shown = candidate.shown
        try:
            with _deadline(self.settings.file_timeout):
                unit = reader.unit(candidate.path, shown)
                found = _unit_module(unit, self.settings, self.tf_settings, self._recording(unit)) \
                    if unit.source is not None else None
                outcome: tuple[Any, list[Resource], list[Any]] = (None, [], [])
                if isinstance(found, ScanWarning):
                    outcome = (None, [], [found])
                elif found is not None:
                    module, root, (version, external) = found
                    call = ModuleCall(self.shown_of(module.path.resolve()) if not external else unit.source,
                                      unit.source, version, unit.source_file, unit.source_line, external)
                    tfvars = _unit_tfvars(unit, module, self.tf_settings, self.parse_tfvars)
                    workload, res, warnings = resolve_tf.resolve(root, self.tf_settings, self._recording(unit), tfvars,
                                                                 calls=(call,))
                    # the unit's findings on the whole (DR306) point at it, not at its module's main.tf
                    outcome = (dataclasses.replace(workload, entry_file=unit.file), res, warnings)
        except LoadFailure as exc:
            self.result.errors.append(LoadError(shown, exc.message, exc.line))
            return None
        except _Timeout:
            self.result.errors.append(LoadError(shown, f"unit {timed_out('evaluate', self.settings.file_timeout)}"))
            return None
        except Exception as exc:  # a bug of ours: this unit is lost, never the scan
            self.result.errors.append(LoadError(shown, internal_error(exc)))
            return None
        local = terragrunt.local_module(unit) if unit.source is not None else None
        scanned = (outcome[0], outcome[1], [*unit.warnings, *outcome[2]], str(local) if local is not None else "")
        # Kept unless something went wrong (a load error, a registry down: the next run asks again).
        if self.cache and len(self.result.errors) == errors_before and self.offline_uses() == offline_before:
            from ha_lint.cache import directory_digest

            deps = [(str(p), self.shown_of(p), directory_digest(p)) for p in terragrunt.deciding_paths(unit)]
            self.cache.put(key, (deps, *scanned))
        return scanned

    def _recording(self, unit: Any) -> Any:
        """``load_module`` noting each module directory in ``unit.modules`` (what decided it)."""
        def load_used(path: Path) -> Any:
            unit.modules.append(path)
            return self.load_module(path)
        return load_used


def _unit_module(unit: Any, settings: ScanSettings, tf_settings: Any, load_module: Any) -> Any:
    """The module a unit deploys, the root module it makes there and (registry version,
    whether its code is outside the repository); or the ScanWarning saying why there is none."""
    from ha_lint.loaders import terraform as tf
    from ha_lint.resolve import terragrunt

    source = unit.source
    if not isinstance(source, str):
        return ScanWarning("module-not-found", "terraform source: not known without running Terragrunt; the unit's "
                           "resources are not checked", unit.source_file, unit.source_line)
    directory, version, external = terragrunt.local_module(unit), "", False
    if directory is None:
        located = None
        locate = getattr(tf_settings, "locate_module", None)
        if locate is not None:
            address, version = terragrunt.module_address(source)
            located = locate(address, version or None, unit.source_file, unit.source_line)
        if located is None:
            return ScanWarning(
                "module-not-found", f"terraform source {source!r} is not available here: the unit's resources are not "
                "checked" + ("" if locate is not None else "; pass --download-modules to let ha-lint fetch it"),
                unit.source_file, unit.source_line)
        directory, version, external = located[0], located[1], True
    boundary = settings.repository_root()
    if not external and not boundary.inside_root(directory):
        return boundary.outside(f"terraform source {source!r}", unit.source_file, unit.source_line)
    module = load_module(directory.resolve()) if directory.is_dir() else None
    if module is None or not module.files:
        return ScanWarning("module-not-found", f"terraform source {source!r}: no Terraform files there; the unit's "
                           "resources are not checked", unit.source_file, unit.source_line)
    return module, tf.TfModule(os.path.dirname(unit.file) or ".", module.path, module.files), (version, external)


def _unit_tfvars(unit: Any, module: Any, tf_settings: Any, parse_tfvars: Any) -> dict[str, Any]:
    """A unit's variables: its ``inputs``, each an origin at its line, and the module's own
    tfvars files, which win (Terragrunt passes inputs as ``TF_VAR_`` variables)."""
    from ha_lint.resolve import terraform as resolve_tf
    from ha_lint.values import CallInput, Origin

    tfvars = {name: (given.value, Origin(f"terragrunt input {name} = {resolve_tf.show(given.value)}", given.file,
                                         given.line, input=CallInput("", name)))
              for name, given in unit.inputs.items()}
    tfvars.update(resolve_tf.read_tfvars(module, tf_settings, parse_tfvars))
    return tfvars


def _unknown_cli_variables(roots: list[Any], settings: ScanSettings) -> list[ScanWarning]:
    """``--var`` / ``--var-file`` names that no scanned Terraform root declares (input-unknown)."""
    if not settings.variables and not settings.var_files:
        return []
    from ha_lint.loaders import terraform as tf
    from ha_lint.resolve import terraform as resolve_tf
    from ha_lint.resolve.tfinputs import unknown_cli_variables

    def read_var_file(path: Path) -> dict[str, tuple[Any, int]] | None:
        if path.name.endswith(".json"):
            return resolve_tf.json_tfvars(path)
        try:
            return tf.load_tfvars(read_text(path, str(path), settings.max_file_size), str(path))
        except LoadFailure:  # the file's own load error is reported by resolution
            return None
    return unknown_cli_variables(roots, settings.variables, [Path(p) for p in settings.var_files], read_var_file)


def _module_fetcher(settings: ScanSettings, tf_settings: Any, result: ScanResult) -> Any:
    """--download-modules: the fetcher that finds remote module sources for resolution. Its
    download directory is trusted like the repository root; downloads run outside the
    per-file deadline (each has its own time bounds)."""
    from ha_lint.fetch.fetcher import ModuleFetcher, modules_dir

    folder, refused = modules_dir(settings.cache_dir)
    if refused is not None:
        result.warnings.append(refused)
    settings.trusted_dirs.append(folder)
    tf_settings.boundary = settings.repository_root()  # now with the download directory in it
    fetcher = ModuleFetcher(folder, tf_settings.environ, result.errors, result.warnings)

    def locate(source: str, version: str | None, file: str, line: int) -> tuple[Path, str] | None:
        with _deadline_paused():
            path = fetcher.locate(source, version, file, line)
        return (path, fetcher.version(source, version)) if path is not None else None
    tf_settings.locate_module = locate
    return fetcher


@contextmanager
def _deadline_paused() -> Iterator[None]:
    """The running ``_deadline`` stops for the block and resumes with the time it had left."""
    if not _ARMED[0] or not hasattr(signal, "setitimer"):
        yield
        return
    left, interval = signal.setitimer(signal.ITIMER_REAL, 0)
    _ARMED[0] = False
    try:
        yield
    finally:
        _ARMED[0] = True
        signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), interval)


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


def _module_cache(settings: ScanSettings, tf_settings: Any) -> Any:
    """The cache of resolved Terraform root modules, keyed by what resolution reads besides
    the module directories (variables, var files, ``TF_VAR_*``, region), or None."""
    if not settings.cache_dir:
        return None
    from ha_lint.cache import Cache

    cache = Cache(Path(settings.cache_dir))
    var_files = []
    for path in tf_settings.var_files:
        try:
            var_files.append(path.read_bytes())
        except OSError:
            var_files.append(b"unreadable")
    environ = sorted((k, v) for k, v in tf_settings.environ.items() if k.startswith("TF_VAR_"))
    context = cache.key(b"terraform root module", repr(sorted(tf_settings.variables.items())),
                        repr([str(p) for p in tf_settings.var_files]), repr(var_files), repr(environ),
                        settings.region or "", str(Path.cwd()), "download" if settings.download_modules else "",
                        repr(tf_settings.boundary))  # a module outside the root is a warning, inside it is read
    return _KeyedCache(cache, context)


@dataclass
class _KeyedCache:
    cache: Any
    context: str

    def key(self, data: bytes, *parts: str) -> str:
        return self.cache.key(data, self.context, *parts)

    def get(self, key: str, valid: Any = None) -> Any:
        return self.cache.get(key, valid)

    def put(self, key: str, value: Any) -> None:
        self.cache.put(key, value)


def _cached_resolution(cache: _KeyedCache, key: str, shown_of: Any) -> tuple[Any, list[Resource], list[str]] | None:
    """A root module resolved by an earlier run, when no directory it read (its own, its
    modules') has changed since, and each is still shown by the same name."""
    from ha_lint.cache import directory_digest

    entry = cache.get(key, _is_resolution)
    if entry is None:
        return None
    deps, workload, res, warnings = entry
    for path, shown, digest in deps:
        if directory_digest(Path(path)) != digest or shown_of(Path(path)) != shown:
            return None
    return workload, res, warnings


def _cached_unit(cache: _KeyedCache, key: str, shown_of: Any) -> tuple[Any, list[Resource], list[Any], str] | None:
    """A Terragrunt unit scanned by an earlier run (its workload or None, resources, warnings,
    the local module directory it deploys), when nothing that decided it has changed."""
    from ha_lint.cache import directory_digest

    entry = cache.get(key, _is_unit_outcome)
    if entry is None:
        return None
    deps, workload, res, warnings, local = entry
    for path, shown, digest in deps:
        if directory_digest(Path(path)) != digest or shown_of(Path(path)) != shown:
            return None
    return workload, res, warnings, local


def _is_unit_outcome(entry: Any) -> bool:
    """A resolved root module's shape (``_is_resolution``), its workload None when the unit
    deploys nothing here, and the deployed module's directory."""
    return (isinstance(entry, tuple) and len(entry) == 5 and isinstance(entry[4], str)
            and _is_resolution((entry[0], entry[1] or Workload("", "", ""), entry[2], entry[3])))


def _is_resolution(entry: Any) -> bool:
    """Whether a cached value has the shape of a resolved root module: (the directories it
    read as (path, shown, digest), its workload, resources, warnings)."""
    return (isinstance(entry, tuple) and len(entry) == 4 and isinstance(entry[0], list)
            and all(isinstance(dep, tuple) and len(dep) == 3 and all(isinstance(part, str) for part in dep)
                    for dep in entry[0])
            and isinstance(entry[1], Workload) and _all_resources(entry[2])
            and isinstance(entry[3], list) and all(isinstance(w, (str, ScanWarning)) for w in entry[3]))


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
