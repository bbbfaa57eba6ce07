"""Terraform for the scan: the directories of ``.tf`` files found become modules, each root
module is resolved (with local modules outside the scanned paths loaded for context, and
remote ones downloaded with ``--download-modules``), Terragrunt units are resolved as the
root modules they deploy, a plan's resources are placed at the configuration it was made
from; each outcome is cached with every directory that decided it."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ha_lint import discover as disc
from ha_lint.deadline import Timeout, deadline, paused, timed_out
from ha_lint.loaders import LoadFailure
from ha_lint.model import LoadError, Resource, ScanWarning, Workload
from ha_lint.pool import Job, all_resources, internal_error
from ha_lint.textfile import read_text

if TYPE_CHECKING:
    from ha_lint.scan import ScanResult, ScanSettings


def place_plan(job: Job, resources: list[Resource], settings: ScanSettings, result: ScanResult,
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
        if not tf.has_configuration(directory):
            return None
        module = tf.TfModule(shown, directory)
        for file in tf.configuration_files(directory):
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
            with deadline(settings.file_timeout):
                placed = plansource.at_call_sites(placed, configured(*source))
    except Timeout:  # (only the calls are not followed: the places stand)
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


def load_terraform(tf_dirs: dict[Path, list[disc.Candidate]], parsed: dict[Path, list[Any]], settings: ScanSettings,
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
                for file in tf.configuration_files(path):
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
                          lambda: fetcher.offline_uses if fetcher is not None else 0, unreadable)
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
            with deadline(settings.file_timeout):
                tfvars = resolve_tf.read_tfvars(root, tf_settings, parse_tfvars)
                workload, res, warnings = resolve_tf.resolve(root, tf_settings, load_used, tfvars)
                warnings += [w for path in dict.fromkeys(used) for w in unreadable.get(path, [])]
            # A root resolved with a cached module because its registry was down is not kept: the next run asks again.
            offline = fetcher is not None and fetcher.offline_uses > offline_before
            if cache and len(result.errors) == errors_before and not offline:
                from ha_lint.cache import directory_digest

                deps = [(str(p), shown_of(p), directory_digest(p)) for p in dict.fromkeys(used)]
                cache.put(key, (deps, workload, res, warnings))
        except Timeout:
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
    unreadable: dict[Path, list[ScanWarning]]  # a module outside the scanned paths: its files that did not load

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

    def _module_outputs(self, unit: Any) -> dict[str, tuple[Any, Any]] | None:
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
            with deadline(self.settings.file_timeout):
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
        except Timeout:
            self.result.errors.append(LoadError(shown, f"unit {timed_out('evaluate', self.settings.file_timeout)}"))
            return None
        except Exception as exc:  # a bug of ours: this unit is lost, never the scan
            self.result.errors.append(LoadError(shown, internal_error(exc)))
            return None
        local = terragrunt.local_module(unit) if unit.source is not None else None
        lost = [w for path in dict.fromkeys(unit.modules) for w in self.unreadable.get(path, [])]
        scanned = (outcome[0], outcome[1], [*unit.warnings, *outcome[2], *lost], str(local) if local is not None else "")
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
    from ha_lint.resolve import chain
    from ha_lint.resolve import terraform as resolve_tf
    from ha_lint.values import CallInput, Origin

    # An input read from a dependency's output keeps that output's origin before it.
    tfvars = {name: (given.value, chain([given.via, Origin(f"terragrunt input {name} = {resolve_tf.show(given.value)}",
                                                           given.file, given.line, input=CallInput("", name))]))
              for name, given in unit.inputs.items()}
    tfvars.update(resolve_tf.read_tfvars(module, tf_settings, parse_tfvars))
    return tfvars


def _unknown_cli_variables(roots: list[Any], settings: ScanSettings) -> list[ScanWarning]:
    """``--var`` / ``--var-file`` names that no scanned Terraform root declares (input-unknown)."""
    if not settings.variables and not settings.var_files:
        return []
    from ha_lint.loaders import terraform as tf
    from ha_lint.resolve.tfinputs import unknown_cli_variables

    def read_var_file(path: Path) -> dict[str, tuple[Any, int]] | None:
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
        with paused():
            path = fetcher.locate(source, version, file, line)
        return (path, fetcher.version(source, version)) if path is not None else None
    tf_settings.locate_module = locate
    return fetcher


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
            and isinstance(entry[1], Workload) and all_resources(entry[2])
            and isinstance(entry[3], list) and all(isinstance(w, (str, ScanWarning)) for w in entry[3]))
