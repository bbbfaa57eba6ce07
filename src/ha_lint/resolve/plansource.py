"""Point a Terraform plan's findings at the configuration it was made from.

``terraform show -json`` output is one long line, rarely committed: a finding at
``tfplan.json:1`` cannot be clicked. When the root module's directory is known (the plan sits
in it, or ``--plan-source [PLAN=]DIR`` names it), each planned resource is given the file and
line of its ``resource`` block, and its properties the lines the configuration writes them at.
The plan's values still decide every finding (they are what will be deployed); the source
gives only the location. An address's module path (``module.app[0].module.db``) is followed
through the calls' local sources, or the directories ``terraform init`` installed
(``.terraform/modules/modules.json``).

A child module's resource takes the module calls and value origins of the same address in
the configuration resolved as a scan of it would (``at_call_sites``): a finding a call's
input decides is then reported at that input, and one on code outside the repository at
the call that brings it in (``ha_lint.callsite``), exactly as for the configuration itself.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from ha_lint.loaders.terraform import TfBlock, TfModule, has_configuration
from ha_lint.loaders.tfplan import _config_address
from ha_lint.model import Resource, ScanWarning
from ha_lint.values import Origin

ModuleLoader = Callable[[Path, str], "TfModule | None"]  # directory, shown directory -> module (None: none there)


@dataclass(frozen=True)
class PlanSources:
    """``--plan-source`` values: DIR for every plan, or PLAN=DIR for one."""

    default: str | None = None
    by_plan: tuple[tuple[str, str], ...] = ()

    def directory_for(self, plan: Path, shown: str) -> tuple[Path, str] | None:
        """The configuration directory of a plan (on disk, as shown), or None."""
        for named, directory in self.by_plan:
            if os.path.realpath(named) == os.path.realpath(plan):
                return Path(directory), directory
        if self.default:
            return Path(self.default), self.default
        beside = plan.parent
        if has_configuration(beside):
            return beside, os.path.dirname(shown) or "."
        return None


def parse_option(values: list[str]) -> PlanSources:
    """``DIR`` or ``PLAN=DIR`` items; ValueError naming a directory that is not one."""
    default, pairs = None, []
    for value in values:
        plan, sep, directory = value.rpartition("=")
        if not sep:
            directory = value
        if not Path(directory).is_dir():
            raise ValueError(f"--plan-source {value}: {directory} is not a directory")
        if sep:
            if not Path(plan).is_file():
                raise ValueError(f"--plan-source {value}: {plan} is not a file")
            pairs.append((plan, directory))
        else:
            default = directory
    return PlanSources(default, tuple(pairs))


def locate(resources: list[Resource], plan_shown: str, source: tuple[Path, str] | None,
           load: ModuleLoader) -> tuple[list[Resource], list[ScanWarning]]:
    """The planned resources at their ``resource`` blocks' files and lines, and warnings for
    what cannot be placed (no source, a module not found, an address the source does not have)."""
    if source is None:
        if not resources:
            return resources, []
        return resources, [ScanWarning("plan-without-source", "the plan's findings point at this file, not at the configuration it "
                            "was made from: no .tf files beside it. Put the plan in its root module's directory, "
                            f"or pass --plan-source {plan_shown}=DIR (the directory terraform plan ran in) for lines "
                            "a reviewer can click", plan_shown, 1)]
    directory, shown = source
    modules: dict[tuple[str, ...], TfModule | None] = {(): load(directory, shown)}
    missing: list[str] = []
    placed: list[Resource] = []
    for resource in resources:
        path, rtype, name = _split(resource.address)
        block = _resource_block(_module_at(path, directory, shown, modules, load), rtype, name)
        if block is None:
            missing.append(resource.address)
            placed.append(resource)
        else:
            meta = replace(resource.meta, dynamic_blocks=block.dynamic_labels, instances_by=block.instances_by)
            placed.append(replace(resource, file=block.file, line=block.line, lines=dict(block.lines), meta=meta))
    if not missing:
        return placed, []
    listed = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    return placed, [ScanWarning("plan-source-mismatch", f"{plan_shown}: {listed} not found in the configuration at {shown} "
                        "(another directory, a remote module not installed, or a configuration changed since the "
                        "plan): their findings stay at the plan file", plan_shown, 1)]


def _split(address: str) -> tuple[tuple[str, ...], str, str]:
    """``module.app[0].module.db.aws_db_instance.this["a"]`` -> (("app", "db"), type, name)."""
    parts = _config_address(address).split(".")
    modules: list[str] = []
    while len(parts) > 2 and parts[0] == "module":
        modules.append(parts[1])
        parts = parts[2:]
    return tuple(modules), parts[0], ".".join(parts[1:])


def _module_at(path: tuple[str, ...], root: Path, shown: str, modules: dict[tuple[str, ...], TfModule | None],
               load: ModuleLoader) -> TfModule | None:
    if path in modules:
        return modules[path]
    parent = _module_at(path[:-1], root, shown, modules, load)
    directory = _call_directory(parent, path, root) if parent is not None else None
    if parent is None or directory is None:
        modules[path] = None
    else:
        directory = directory.resolve()
        call_shown = os.path.normpath(os.path.join(parent.directory, os.path.relpath(directory, parent.path.resolve())))
        modules[path] = load(directory, call_shown)
    return modules[path]


def _call_directory(parent: TfModule, path: tuple[str, ...], root: Path) -> Path | None:
    """The directory of ``module "<path[-1]>"`` called from ``parent``: ``terraform init``'s
    manifest first (it also knows registry and git sources), else a local source."""
    from ha_lint.resolve.terraform import _installed_modules, is_local_source

    installed = _installed_modules(root).get(".".join(path))
    if installed is not None and installed.is_dir():
        return installed
    call = next((b for b in parent.blocks("module") if b.labels == (path[-1],)), None)
    source = call.body.get("source") if call is not None else None
    if isinstance(source, str) and is_local_source(source):
        return (parent.path / source).resolve()
    return None


def _resource_block(module: TfModule | None, rtype: str, name: str) -> TfBlock | None:
    if module is None:
        return None
    return next((b for b in module.blocks("resource") if b.labels == (rtype, name)), None)


def at_call_sites(planned: list[Resource], configured: list[Resource]) -> list[Resource]:
    """Planned resources of child modules with the module calls (``meta.calls``,
    ``meta.module``) and value origins of the same address in ``configured`` (the
    plan's configuration resolved). The plan's values still decide: an origin whose value
    is not the plan's (the plan was made with other variables) keeps its places, not its values."""
    twins = {r.address: r for r in configured if r.meta.calls}
    out = []
    for res in planned:
        twin = twins.get(res.address)
        if twin is None:
            out.append(res)
            continue
        origins = {path: origin if _value_at(res.props, path) == _value_at(twin.props, path) else _valueless(origin)
                   for path, origin in twin.origins.items()}
        out.append(replace(res, origins={**res.origins, **origins},
                           meta=replace(res.meta, calls=twin.meta.calls, module=twin.meta.module)))
    return out


def _value_at(props: dict[str, Any], path: str) -> Any:
    """The value at an origin's path (``ingress.from_port``); a list met on the way whole."""
    value: Any = props
    for part in path.split("."):
        if not isinstance(value, dict):
            break
        value = value.get(part)
    return value


def _valueless(origin: Origin) -> Origin:
    """``module db input multi_az = true`` -> ``module db input multi_az``, every step."""
    cut = lambda description: re.split(r" = | defaults to ", description, maxsplit=1)[0]  # noqa: E731
    via = tuple(replace(step, description=cut(step.description)) for step in origin.via)
    return replace(origin, description=cut(origin.description), via=via)
