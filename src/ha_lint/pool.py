"""Loading the discovered files: each file one job (read, decode, load, resolve a template or
plan, parse a Terraform file), looked up in the cache first, run in worker processes when
there are many. A worker that dies or hangs loses only its own files; a bug of ours loses
only the file it struck (``internal_error``), never the scan."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ha_lint import discover as disc
from ha_lint.deadline import Timeout, deadline, paused, timed_out
from ha_lint.loaders import LoadFailure
from ha_lint.model import LoadError, Resource, Workload
from ha_lint.textfile import decode_text, read_bytes


def internal_error(exc: Exception) -> str:
    return f"{INTERNAL_ERROR} ({type(exc).__name__}: {exc}); please report it with this file"


PARALLEL_THRESHOLD = 16  # below this many files, worker start-up costs more than it saves


INTERNAL_ERROR = "ha-lint could not process this file because of an internal error"


@dataclass(frozen=True)
class Job:
    path: Path
    shown: str
    language: str


@dataclass(frozen=True)
class JobSettings:
    parameters: tuple[tuple[str, str], ...]
    region: str | None
    cache_dir: str | None
    timeout: float
    parameter_origins: tuple[tuple[str, Any], ...] = ()  # parameter -> Origin (the file and line setting it)
    max_bytes: int = disc.DEFAULT_MAX_BYTES


def _run_job(job: Job, js: JobSettings) -> Any:
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
        with deadline(js.timeout):
            outcome = load_job(job, data, js)
    except Timeout:  # depends on the machine and the limit, not on the file: never cached
        return LoadError(job.shown, timed_out("load", js.timeout))
    if cache and outcome is not None and not (isinstance(outcome, LoadError) and INTERNAL_ERROR in outcome.message):
        cache.put(key, outcome)
    return outcome


def _cache_key(cache: Any, data: bytes, job: Job, js: JobSettings) -> str:
    return cache.key(data, job.language, job.shown, repr(js.parameters), js.region or "", repr(js.parameter_origins))


def _is_outcome(language: str, outcome: Any) -> bool:
    """Whether a cached value has the shape ``load_job`` gives for a file of ``language``
    (the cache is not trusted; what is inside was checked by its codec)."""
    if isinstance(outcome, LoadError):
        return True
    if language == disc.TF:
        from ha_lint.loaders.terraform import TfFile

        return isinstance(outcome, TfFile)
    return (isinstance(outcome, tuple) and len(outcome) == 2 and isinstance(outcome[0], Workload)
            and all_resources(outcome[1]))


def all_resources(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, Resource) for item in value)


def _cached_outcomes(jobs: list[Job], js: JobSettings) -> list[Any]:
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


def load_job(job: Job, data: bytes, js: JobSettings) -> Any:
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


def run_jobs(jobs: list[Job], js: JobSettings, workers: int, look_up: bool = True,
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
            for index, outcome in zip(misses, run_jobs([jobs[i] for i in misses], js, workers, look_up=False,
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


def _run_chunk(jobs: list[Job], js: JobSettings) -> list[Any]:
    return [_run_job(job, js) for job in jobs]


def _run_isolated(job: Job, js: JobSettings, context: Any) -> Any:
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


def _child(writer: Any, job: Job, js: JobSettings) -> None:
    writer.send(_run_job(job, js))
    writer.close()


def _load_cfn(text: str, shown: str, parameters: dict[str, str], region: str | None,
              origins: dict[str, Any] | None = None) -> tuple[Workload, list[Resource]] | None:
    from ha_lint.loaders import cloudformation
    from ha_lint.resolve import cloudformation as resolve_cfn

    template = cloudformation.load_template(text, shown, importing=paused)
    if template is None:
        return None  # it only looked like one (a test event embedding a template): skipped, as discovery would
    return resolve_cfn.resolve(template, resolve_cfn.CfnSettings(parameters, region, origins or {}))


def _load_plan(text: str, shown: str, region: str | None) -> tuple[Workload, list[Resource]]:
    from ha_lint.loaders import tfplan
    from ha_lint.resolve import tfplan as resolve_plan

    return resolve_plan.resolve(tfplan.load(text, shown), region)
