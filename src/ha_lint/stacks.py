"""CloudFormation as teams deploy it: stacks, the values that join them, the applications they make.

A template on its own is judged on its parameters' defaults. Teams deploy it as stacks: a
name (``AWS::StackName``), a Region, parameter values; stacks that import each other's
exports (``Fn::ImportValue``); a CDK app of several stacks; one stack per Availability Zone.
This stage, between loading and the graph, puts that back:

1. ``declared_stacks``: the configuration's ``stacks:`` entries, then the stacks of every CDK
   cloud assembly (``manifest.json`` beside a scanned template; nested assemblies of stages
   too), in that order. A template a ``stacks:`` entry lists is not taken again from CDK.
2. ``deploy``: each declared stack resolved with its own name, Region (``--region`` over the
   entry over the CDK environment) and parameters; the template's evaluation on its defaults
   is dropped. Parameter keys that match nothing, and parameters left with no value, are
   warnings (once per stack).
3. ``connect`` (after nested stacks are expanded): ``Fn::ImportValue`` resolved against the
   exports of the scanned stacks (the importing templates are resolved again, until nothing
   changes); an import no scanned stack exports is a warning. Then the applications (stacks
   joined by imports, nesting or one CDK app) and the per-AZ groups (stacks of one template
   whose values differ only in what places them in an AZ).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from ha_lint.loaders import LoadFailure
from ha_lint.loaders.cfnparameters import read_parameter_file
from ha_lint.model import APPLICATION_KEY, CLOUDFORMATION, Application, LoadError, Resource, ScanWarning, Workload

MAX_ASSEMBLY_DEPTH = 5  # nested cloud assemblies (stages in stages) followed
MAX_IMPORT_ROUNDS = 4  # stacks re-resolved as exports of exports become known
STACK_KEY = "_ha_lint_stack"  # Workload.metadata: the StackInfo of a declared stack


@dataclass(frozen=True)
class StackSpec:
    """One deployed stack: a ``stacks:`` entry or a stack of a CDK cloud assembly."""

    name: str
    template: str  # path on disk
    region: str | None = None
    account: str | None = None
    parameters: tuple[tuple[str, str], ...] = ()
    parameter_file: str | None = None
    declared_in: str = ""  # the configuration file or the manifest, for messages
    line: int | None = None
    app: str | None = None  # the CDK assembly: its stacks are one application


@dataclass(frozen=True)
class StackInfo:
    """What a workload knows of the stack it is (``Workload.metadata[STACK_KEY]``)."""

    name: str
    order: tuple[int, int]  # (0, i): i-th ``stacks:`` entry; (1, i): i-th stack in CDK manifest order
    app: str | None
    template: str  # real path
    values: tuple[tuple[str, Any], ...]  # each parameter's value as deployed (given, else default)


@dataclass
class Recipe:
    """How a workload's template was resolved, so that it can be resolved again with imports."""

    path: Path
    shown: str
    settings: Any  # resolve.cloudformation.CfnSettings
    template: Any = None  # loaders.cloudformation.CfnTemplate, loaded when first needed


# -- declared stacks --------------------------------------------------------------------------


def declared_stacks(configured: list[StackSpec], templates: list[Path], errors: list[LoadError]) -> list[StackSpec]:
    """The ``stacks:`` entries, then the stacks of the CDK assemblies found beside the scanned
    templates (those stacks whose template is scanned: a file left out is not judged)."""
    specs = list(configured)
    listed = {os.path.realpath(s.template) for s in configured}
    scanned = {os.path.realpath(t) for t in templates}
    visited: set[str] = set()
    for directory in sorted({t.parent for t in templates}, key=lambda d: (len(d.parts), str(d))):
        manifest = directory / "manifest.json"
        if manifest.is_file() and os.path.realpath(manifest) not in visited:
            found = read_assembly(manifest, errors, visited)
            specs += [s for s in found if os.path.realpath(s.template) in scanned - listed]
    return specs


def read_assembly(manifest: Path, errors: list[LoadError], visited: set[str], app: str | None = None,
                  depth: int = 0) -> list[StackSpec]:
    """The stacks of a CDK cloud assembly in manifest order, nested assemblies (stages) in place.
    A manifest that is not a cloud assembly is not ours: nothing, silently."""
    visited.add(os.path.realpath(manifest))
    shown = _shown(manifest)
    try:
        data = json.loads(manifest.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(LoadError(shown, f"CDK cloud assembly manifest cannot be read: {getattr(exc, 'strerror', None) or exc}"))
        return []
    except json.JSONDecodeError as exc:
        if '"artifacts"' in manifest.read_text(encoding="utf-8", errors="replace")[:100_000]:
            errors.append(LoadError(shown, f"CDK cloud assembly manifest is not valid JSON: {exc.msg}", exc.lineno))
        return []
    artifacts = data.get("artifacts") if isinstance(data, dict) else None
    if not isinstance(artifacts, dict):
        return []
    app = app or shown
    out: list[StackSpec] = []
    for artifact_id, artifact in artifacts.items():
        if not isinstance(artifact, dict):
            continue
        props = artifact.get("properties") if isinstance(artifact.get("properties"), dict) else {}
        kind = artifact.get("type")
        if kind == "aws:cloudformation:stack" and isinstance(props.get("templateFile"), str):
            account, region = _environment(artifact.get("environment"))
            params = props.get("parameters") if isinstance(props.get("parameters"), dict) else {}
            name = props.get("stackName") if isinstance(props.get("stackName"), str) else str(artifact_id)
            out.append(StackSpec(name, str(manifest.parent / props["templateFile"]), region, account,
                                 tuple((str(k), str(v)) for k, v in params.items()), None, shown, None, app))
        elif kind == "cdk:cloud-assembly" and isinstance(props.get("directoryName"), str) and depth < MAX_ASSEMBLY_DEPTH:
            nested = manifest.parent / props["directoryName"] / "manifest.json"
            if nested.is_file() and os.path.realpath(nested) not in visited:
                out += read_assembly(nested, errors, visited, app, depth + 1)
    return out


def _environment(value: Any) -> tuple[str | None, str | None]:
    """(account, Region) of ``aws://123456789012/eu-west-1``; ``unknown-account``/``unknown-region`` are None."""
    match = re.fullmatch(r"aws://([^/]*)/([^/]*)", value) if isinstance(value, str) else None
    if not match:
        return None, None
    account, region = match.groups()
    return (None if account in ("", "unknown-account") else account), (None if region in ("", "unknown-region") else region)


def _shown(path: Path | str) -> str:
    path = Path(path)
    try:
        return os.path.relpath(path) if Path(os.path.abspath(path)).is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


# -- deploying them ---------------------------------------------------------------------------


def deploy(specs: list[StackSpec], workloads: list[Workload], resources: list[Resource], read: Callable[[Path], str],
           region: str | None, errors: list[LoadError], warnings: list[Any],
           recipes: dict[str, Recipe]) -> tuple[list[Workload], list[Resource]]:
    """Each declared stack resolved with its own values, in place of its template on its defaults."""
    from ha_lint.resolve import cloudformation as resolve_cfn

    shown_of = {os.path.realpath(w.entry_file): w.entry_file for w in workloads if w.source == CLOUDFORMATION}
    reported = {e.file for e in errors}
    uses: dict[str, int] = {}
    for spec in specs:
        real = os.path.realpath(spec.template)
        uses[real] = uses.get(real, 0) + 1
    deployed: set[str] = set()
    new_workloads: list[Workload] = []
    new_resources: list[Resource] = []
    cdk_index = 0
    made: dict[str, Recipe] = {}
    for index, spec in enumerate(specs):
        real = os.path.realpath(spec.template)
        order = (0, index) if spec.app is None else (1, cdk_index)
        cdk_index += spec.app is not None
        if not os.path.isfile(real):
            errors.append(LoadError(spec.declared_in, f"stack {spec.name}: template {spec.template} not found", spec.line))
            continue
        shown = shown_of.get(real) or _shown(spec.template)
        try:
            template = _load_template(read(Path(real)), shown)
        except LoadFailure as exc:
            deployed.add(real)  # not judged on its defaults either
            if shown not in reported:
                reported.add(shown)
                errors.append(LoadError(shown, exc.message, exc.line))
            continue
        values, origins = _stack_parameters(spec, errors)
        settings = resolve_cfn.CfnSettings(values, region or spec.region, origins, stack_name=spec.name,
                                           account=spec.account)
        workload_id = shown if uses[real] == 1 else f"{shown} (stack {spec.name})"
        workload, res = resolve_cfn.resolve(template, settings, workload_id)
        declared = workload.metadata.get(resolve_cfn.PARAMETERS_KEY, {})
        deployed_values = tuple((name, values.get(name, entry["spec"].get("Default"))) for name, entry in declared.items())
        workload.metadata[STACK_KEY] = StackInfo(spec.name, order, spec.app, real, deployed_values)
        warnings.extend(_parameter_warnings(spec, shown, declared, values))
        made[workload_id] = Recipe(Path(real), shown, settings, template)
        deployed.add(real)
        new_workloads.append(workload)
        new_resources.extend(res)
    if not deployed:
        return workloads, resources
    dropped = {w.id for w in workloads if w.source == CLOUDFORMATION and os.path.realpath(w.entry_file) in deployed}
    for wid in dropped:
        recipes.pop(wid, None)
    recipes.update(made)
    return ([w for w in workloads if w.id not in dropped] + new_workloads,
            [r for r in resources if r.workload not in dropped] + new_resources)


def _load_template(text: str, shown: str) -> Any:
    from ha_lint.loaders import cloudformation

    template = cloudformation.load_template(text, shown)
    if template is None:
        raise LoadFailure("is not a CloudFormation template (no Resources, no AWSTemplateFormatVersion)")
    return template


def _stack_parameters(spec: StackSpec, errors: list[LoadError]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The stack's parameter values (its parameter file, then its ``parameters`` on top), with origins."""
    from ha_lint.values import Origin

    values: dict[str, Any] = {}
    origins: dict[str, Any] = {}
    if spec.parameter_file:
        try:
            for name, (value, origin) in read_parameter_file(Path(spec.parameter_file), _shown(spec.parameter_file)).items():
                values[name], origins[name] = value, origin
        except LoadFailure as exc:
            errors.append(LoadError(_shown(spec.parameter_file), exc.message, exc.line))
    where = "the CDK cloud assembly" if spec.app else "stacks:"
    for name, value in spec.parameters:
        values[name] = value
        origins[name] = Origin(f"stack {spec.name} sets parameter {name} to {value!r} ({where})", spec.declared_in or None,
                               spec.line)
    return values, origins


def _parameter_warnings(spec: StackSpec, shown: str, declared: dict[str, Any], values: dict[str, Any]) -> list[ScanWarning]:
    out = []
    stray = [name for name in values if name not in declared]
    if stray:
        out.append(ScanWarning("parameter-unknown", f"stack {spec.name}: {_names(stray)} set for {shown}, which has no "
                               f"such parameter{'s' if len(stray) > 1 else ''}; ignored", spec.declared_in or None, spec.line))
    unset = [name for name, entry in declared.items() if name not in values and "Default" not in entry["spec"]]
    if unset:
        out.append(ScanWarning("parameter-unset", f"stack {spec.name}: {_names(unset)} of {shown} "
                               f"{'have' if len(unset) > 1 else 'has'} no default and no value; unknown",
                               spec.declared_in or None, spec.line))
    return out


def override_warnings(workloads: list[Workload], parameters: dict[str, Any], warnings: list[Any]) -> None:
    """``--parameter`` / ``--parameter-file`` keys no scanned template declares, and, in each template
    given values, the parameters left with no default and no value (once per template)."""
    from ha_lint.resolve import cloudformation as resolve_cfn

    plain = [w for w in workloads if w.source == CLOUDFORMATION and STACK_KEY not in w.metadata and " > " not in w.id]
    declared = {name for w in plain for name in w.metadata.get(resolve_cfn.PARAMETERS_KEY, {})}
    stray = [name for name in parameters if name not in declared]
    if stray and plain:
        warnings.append(ScanWarning("parameter-unknown", f"{_names(stray)} (--parameter/--parameter-file) "
                                    f"{'match' if len(stray) > 1 else 'matches'} no parameter of the scanned templates; ignored"))
    for workload in plain:
        specs = workload.metadata.get(resolve_cfn.PARAMETERS_KEY, {})
        unset = [name for name, entry in specs.items() if name not in parameters and "Default" not in entry["spec"]]
        if unset:
            warnings.append(ScanWarning("parameter-unset", f"{_names(unset)} {'have' if len(unset) > 1 else 'has'} "
                                        "no default and no value (--parameter/--parameter-file); unknown", workload.entry_file))


def _names(names: list[str]) -> str:
    return ("parameter " if len(names) == 1 else "parameters ") + ", ".join(names)


# -- joining them -----------------------------------------------------------------------------


def connect(workloads: list[Workload], resources: list[Resource], recipes: dict[str, Recipe],
            read: Callable[[Path], str], warnings: list[Any]) -> tuple[list[Workload], list[Resource]]:
    """Imports resolved across the scanned stacks, then the applications and per-AZ groups."""
    workloads, resources, links = _resolve_imports(workloads, resources, recipes, read, warnings)
    _group_applications(workloads, resources, links)
    _group_per_az(workloads, resources)
    return workloads, resources


def _export_table(workloads: list[Workload]) -> tuple[dict[str, Any], set[str]]:
    """Export name -> Export, and the names several scanned stacks export (left unresolved)."""
    from ha_lint.resolve.cloudformation import EXPORTS_KEY

    table: dict[str, Any] = {}
    clashes: set[str] = set()
    for workload in workloads:
        for name, export in workload.metadata.get(EXPORTS_KEY, {}).items():
            if name in table and table[name].workload != workload.id:
                clashes.add(name)
            table.setdefault(name, export)
    for name in clashes:
        del table[name]
    return table, clashes


def _resolve_imports(workloads: list[Workload], resources: list[Resource], recipes: dict[str, Recipe],
                     read: Callable[[Path], str], warnings: list[Any]) -> tuple[list[Workload], list[Resource], set[tuple[str, str]]]:
    from ha_lint.resolve import cloudformation as resolve_cfn

    used: dict[str, dict[str, Any]] = {}  # workload id -> the exports it was last resolved with
    table, clashes = _export_table(workloads)
    nested_in = _nested_recipes(workloads, resources, recipes)
    for _ in range(MAX_IMPORT_ROUNDS):
        redo: dict[str, dict[str, Any]] = {}
        for workload in workloads:
            wanted = {i.name for i in workload.metadata.get(resolve_cfn.IMPORTS_KEY, ()) if i.name in table}
            given = {name: table[name] for name in wanted if table[name].workload != workload.id}
            if given and given != used.get(workload.id, {}) and workload.id in recipes:
                redo[workload.id] = given
        if not redo:
            break
        replaced: dict[str, tuple[Workload, list[Resource]]] = {}
        for workload in workloads:
            if workload.id in redo:
                outcome = _resolve_again(recipes[workload.id], workload, redo[workload.id], read,
                                         nested_in.get(workload.id))
                if outcome is not None:
                    replaced[workload.id] = outcome
                used[workload.id] = redo[workload.id]
        if replaced:
            workloads = [replaced[w.id][0] if w.id in replaced else w for w in workloads]
            resources = [r for r in resources if r.workload not in replaced] + \
                [r for wid in replaced for r in replaced[wid][1]]
        table, clashes = _export_table(workloads)
    links: set[tuple[str, str]] = set()
    seen: set[tuple[str | None, int, str]] = set()
    for workload in workloads:
        if " > " in workload.id and workload.id not in recipes:
            continue  # a nested stack: resolved through its parent, with what the parent passes
        for imp in workload.metadata.get(resolve_cfn.IMPORTS_KEY, ()):
            export = table.get(imp.name) if imp.name else None
            if export is not None and export.workload != workload.id:
                links.add((workload.id, export.workload))
                continue
            if imp.name is None:
                message = (f"Fn::ImportValue {imp.written}: the export name does not resolve (it depends on a value the "
                           "templates leave open); the imported value is unknown")
            elif imp.name in clashes:
                message = f"Fn::ImportValue {imp.name!r}: several scanned stacks export this name; the imported value is unknown"
            else:
                message = f"Fn::ImportValue {imp.name!r}: no scanned stack exports it; the imported value is unknown"
            if (workload.entry_file, imp.line, message) not in seen:
                seen.add((workload.entry_file, imp.line, message))
                warnings.append(ScanWarning("import-unresolved", message, workload.entry_file, imp.line))
    return workloads, resources, links


def _nested_recipes(workloads: list[Workload], resources: list[Resource], recipes: dict[str, Recipe]) -> dict[str, str]:
    """Recipes for the nested stacks that import something: their template, resolved with what
    the stack resource that nests them passes (and its Region). Returns workload id -> the uid
    of that stack resource."""
    from ha_lint.resolve import cloudformation as resolve_cfn

    importing = {w.id for w in workloads if w.id not in recipes and w.metadata.get(resolve_cfn.IMPORTS_KEY)}
    if not importing:
        return {}
    by_uid = {r.uid: r for r in resources}
    out: dict[str, str] = {}
    for res in resources:
        parent = by_uid.get(res.meta.nested_in or "")
        if res.workload not in importing or res.workload in out or parent is None:
            continue
        nested = parent.meta.nested_stack
        if nested is None or nested.remote:
            continue
        region = parent.meta.region
        settings = resolve_cfn.CfnSettings(region=region if isinstance(region, str) else None,
                                           passed={k: (v, o) for k, v, o in nested.parameters})
        recipes[res.workload] = Recipe(Path(os.path.realpath(nested.template)), res.file, settings)
        out[res.workload] = parent.uid
    return out


def _resolve_again(recipe: Recipe, workload: Workload, imports: dict[str, Any],
                   read: Callable[[Path], str], nested_in: str | None = None) -> tuple[Workload, list[Resource]] | None:
    """The workload's template resolved with the exports it imports; None if it cannot be read again."""
    from dataclasses import replace

    from ha_lint.resolve import cloudformation as resolve_cfn

    if recipe.template is None:
        try:
            recipe.template = _load_template(read(recipe.path), recipe.shown)
        except (LoadFailure, RecursionError):
            return None
    settings = replace(recipe.settings, imports=imports)
    again, res = resolve_cfn.resolve(recipe.template, settings, workload.id)
    if STACK_KEY in workload.metadata:
        again.metadata[STACK_KEY] = workload.metadata[STACK_KEY]
    for child in res if nested_in else ():
        child.meta.nested_in = nested_in
    return again, res


# -- applications -----------------------------------------------------------------------------


def _group_applications(workloads: list[Workload], resources: list[Resource], links: set[tuple[str, str]]) -> None:
    """Stacks joined by an import, by nesting or by one CDK app: one Application in each member's metadata."""
    parent: dict[str, str] = {w.id: w.id for w in workloads if w.source == CLOUDFORMATION}

    def root(wid: str) -> str:
        while parent[wid] != wid:
            parent[wid] = parent[parent[wid]]
            wid = parent[wid]
        return wid

    def join(a: str, b: str) -> None:
        if a in parent and b in parent:
            parent[root(a)] = root(b)

    for a, b in links:
        join(a, b)
    for res in resources:
        nested_in = res.meta.nested_in
        if isinstance(nested_in, str) and res.workload in parent:
            join(res.workload, nested_in.rpartition("#")[0])
    apps: dict[str, str] = {}
    for workload in workloads:
        info = workload.metadata.get(STACK_KEY)
        if isinstance(info, StackInfo) and info.app:
            if info.app in apps:
                join(workload.id, apps[info.app])
            apps.setdefault(info.app, workload.id)
    groups: dict[str, list[Workload]] = {}
    for workload in workloads:
        if workload.id in parent:
            groups.setdefault(root(workload.id), []).append(workload)
    taken: set[str] = set()
    by_id = {w.id: w for w in workloads}
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda w: _stack_order(w, by_id))
        names = tuple(_stack_name(w, by_id) for w in members)
        app = Application("", tuple(w.id for w in members), names)
        app_id, n = app.label, 1
        while app_id in taken:  # two assemblies with the same stack names
            n += 1
            app_id = f"{app.label} ({n})"
        taken.add(app_id)
        app = Application(app_id, app.members, names)
        for workload in members:
            workload.metadata[APPLICATION_KEY] = app


def _stack_order(workload: Workload, by_id: dict[str, Workload]) -> tuple[int, int, str]:
    """First in ``stacks:``, else in CDK manifest order, else by stack name."""
    info = workload.metadata.get(STACK_KEY)
    if isinstance(info, StackInfo):
        return info.order[0], info.order[1], info.name
    parent = by_id.get(workload.id.rpartition(" > ")[0])
    if parent is not None:  # a nested stack sorts after the stack that nests it
        order = _stack_order(parent, by_id)
        return order[0], order[1], f"{order[2]} > {workload.id.rpartition(' > ')[2]}"
    return 2, 0, _stack_name(workload, by_id)


def _stack_name(workload: Workload, by_id: dict[str, Workload]) -> str:
    """The stack's name; for a template scanned alone, its file name; for a nested stack,
    ``<parent's name> > <logical ID>``."""
    info = workload.metadata.get(STACK_KEY)
    if isinstance(info, StackInfo):
        return info.name
    parent_id, _, logical_id = workload.id.rpartition(" > ")
    if parent_id in by_id:
        return f"{_stack_name(by_id[parent_id], by_id)} > {logical_id}"
    return os.path.basename(workload.entry_file)


# -- one stack per AZ -------------------------------------------------------------------------

# What places a stack in an Availability Zone: a parameter of one of these names, or a value of
# one of these shapes. Stacks of one template that differ only there are one component.
_PLACEMENT_NAME = re.compile(r"zone|(^|[^a-z])az($|[^a-z])|az$|^az|subnet|routetable|route_table|eip|elasticip|allocation",
                             re.IGNORECASE)
_PLACEMENT_VALUE = re.compile(r"^([a-z]{2}(-gov)?-[a-z]+-\d[a-z]|[a-z]{3}\d-az\d+|subnet-[0-9a-f]+|rtb-[0-9a-f]+|"
                              r"eipalloc-[0-9a-f]+)$")


def _group_per_az(workloads: list[Workload], resources: list[Resource]) -> None:
    """Declared stacks of one template whose parameter values differ only in placement: each
    resource learns the same resource in the other stacks (``ResourceMeta.az_replicas``)."""
    by_template: dict[str, list[Workload]] = {}
    for workload in workloads:
        info = workload.metadata.get(STACK_KEY)
        if isinstance(info, StackInfo):
            by_template.setdefault(info.template, []).append(workload)
    by_workload: dict[str, dict[str, Resource]] = {}
    for res in resources:
        by_workload.setdefault(res.workload, {})[res.address] = res
    for members in by_template.values():
        if len(members) < 2 or not _differ_in_placement_only([dict(w.metadata[STACK_KEY].values) for w in members]):
            continue
        addresses = set.intersection(*(set(by_workload.get(w.id, {})) for w in members))
        for address in addresses:
            group = tuple(by_workload[w.id][address] for w in members)
            for res in group:
                res.meta.az_replicas = tuple((r.workload, r.address) for r in group)


def _differ_in_placement_only(values: list[dict[str, Any]]) -> bool:
    names = set().union(*values)
    differing = [n for n in names if len({json.dumps(v.get(n), sort_keys=True, default=str) for v in values}) > 1]
    return bool(differing) and all(_placement(n, [v.get(n) for v in values]) for n in differing)


def _placement(name: str, values: list[Any]) -> bool:
    if _PLACEMENT_NAME.search(name):
        return True
    return all(isinstance(v, str) and _PLACEMENT_VALUE.match(v) for v in values)


# -- the configuration's ``stacks:`` ----------------------------------------------------------

STACK_CONFIG_KEYS = ("name", "template", "region", "parameters", "parameter-file")


class StackConfigError(ValueError):
    """A ``stacks:`` entry that cannot be used: the key (``stacks[1].template``) and the problem."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key, self.problem = key, problem


def parse_config(value: Any, directory: Path, config_file: str,
                 lines: Mapping[tuple[int, str | None], int] | None = None) -> list[StackSpec]:
    """``stacks:`` entries as StackSpecs; paths are relative to the configuration file's directory.
    ``lines``: where each entry (``(index, None)``) and its fields (``(index, "name")``) are
    written, from the configuration's parse tree (``config``); a stack's line is its name's."""
    lines = lines or {}
    if not isinstance(value, list):
        raise StackConfigError("stacks", "expected a list of stacks ({name, template, region, parameters})")
    out: list[StackSpec] = []
    names: set[str] = set()
    for index, entry in enumerate(value):
        where = f"stacks[{index}]"
        if not isinstance(entry, dict):
            raise StackConfigError(where, "expected a mapping with name and template")
        for key in entry:
            if key not in STACK_CONFIG_KEYS:
                raise StackConfigError(f"{where}.{key}", f"unknown key (known: {', '.join(STACK_CONFIG_KEYS)})")
        name, template = entry.get("name"), entry.get("template")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,127}", name):
            raise StackConfigError(f"{where}.name", "expected a stack name (letters, digits and hyphens, "
                                   f"starting with a letter), got {name!r}")
        if name in names:
            raise StackConfigError(f"{where}.name", f"stack {name} is listed twice")
        names.add(name)
        if not isinstance(template, str) or not template.strip():
            raise StackConfigError(f"{where}.template", "expected the template's path")
        region = entry.get("region")
        if region is not None and not isinstance(region, str):
            raise StackConfigError(f"{where}.region", f"expected a Region name such as eu-west-1, got {region!r}")
        parameters = entry.get("parameters") or {}
        if not isinstance(parameters, dict) or not all(isinstance(k, str) for k in parameters):
            raise StackConfigError(f"{where}.parameters", "expected a mapping of parameter names to values")
        if any(isinstance(v, (dict, list)) and not all(isinstance(i, (str, int, float)) for i in v) for v in parameters.values()):
            raise StackConfigError(f"{where}.parameters", "expected text, numbers or lists of them as values")
        parameter_file = entry.get("parameter-file")
        if parameter_file is not None and not isinstance(parameter_file, str):
            raise StackConfigError(f"{where}.parameter-file", "expected the parameter file's path")
        line = lines.get((index, "name"), lines.get((index, None)))
        out.append(StackSpec(name, str(directory / template), region,
                             parameters=tuple((k, _parameter_text(v)) for k, v in parameters.items()),
                             parameter_file=str(directory / parameter_file) if parameter_file else None,
                             declared_in=config_file, line=line))
    return out


def _parameter_text(value: Any) -> str:
    """A parameter value as CloudFormation receives it: text (a list joined by commas, booleans lower case)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(_parameter_text(v) for v in value)
    return str(value)
