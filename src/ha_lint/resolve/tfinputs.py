"""Inputs that go nowhere, said as warnings (never silent):

- ``input-unknown``: a module call's argument that matches no variable of the (fully read)
  child module; a root's own ``terraform.tfvars`` / ``*.auto.tfvars`` entry that matches no
  variable of that root; a ``--var`` or ``--var-file`` name that matches no variable of any
  scanned root (they apply to every root, so one root without it is no mistake).
- ``variable-unset``: a root module's variables with no default and no value, once per root,
  with the arguments that read them (those are unknown, so the rules that need them cannot
  judge them). Only for a root that is deployed as it is (it configures a provider or a
  backend, or has its own tfvars): a directory of variables with no defaults and no provider
  is a module meant to be called, and its missing values are no news.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from ha_lint import hclexpr
from ha_lint.loaders.terraform import TfBlock, TfModule, configuration_files
from ha_lint.model import ScanWarning
from ha_lint.values import Origin

CALL_ARGUMENTS = {"source", "version", "providers", "count", "for_each", "depends_on"}
MAX_READERS = 6  # arguments named per variable-unset warning


def fully_read(module: TfModule) -> bool:
    """Every ``.tf`` and ``.tf.json`` file of the module directory was loaded: only then is a
    name missing from its variables really missing."""
    loaded = {os.path.basename(f.file) for f in module.files}
    try:
        on_disk = {p.name for p in configuration_files(module.path)}
    except OSError:
        return False
    return on_disk <= loaded


def unknown_module_inputs(name: str, call: TfBlock, child: TfModule) -> list[ScanWarning]:
    """Arguments of ``module "name"`` that the child module declares no variable for."""
    if not child.files or not fully_read(child):  # an empty directory is said as module-not-found
        return []
    declared = {b.labels[0] for b in child.blocks("variable") if b.labels}
    return [ScanWarning("input-unknown", f"module.{name}: input {argument!r} matches no variable of the module "
                        f"({child.directory}); Terraform refuses it (\"Unsupported argument\"): a misspelt or "
                        "removed input, its value goes nowhere", call.file, call.lines.get(argument, call.line))
            for argument in call.body if argument not in CALL_ARGUMENTS and argument not in declared]


def own_tfvars_paths(module: TfModule) -> list[Path]:
    """A root's own variable files that Terraform reads, lowest precedence first (whether they
    exist or not): ``terraform.tfvars[.json]``, then ``*.auto.tfvars[.json]`` by name."""
    try:
        auto = list(module.path.glob("*.auto.tfvars")) + list(module.path.glob("*.auto.tfvars.json"))
    except OSError:
        auto = []
    return [module.path / "terraform.tfvars", module.path / "terraform.tfvars.json",
            *sorted(auto, key=lambda p: p.name)]


def root_input_warnings(root: TfModule, tfvars: dict[str, tuple[Any, Origin]]) -> list[ScanWarning]:
    """``input-unknown`` for the root's own tfvars entries that match no variable, and
    ``variable-unset`` for its variables with no value (when the root is deployed as it is)."""
    variables = {b.labels[0]: b for b in root.blocks("variable") if b.labels}
    out: list[ScanWarning] = []
    own = {os.path.join(root.directory, path.name) for path in own_tfvars_paths(root)}
    for name, (_, origin) in tfvars.items():
        if name not in variables and origin.file in own:
            out.append(ScanWarning("input-unknown", f"{os.path.basename(origin.file)} sets {name!r}, which matches no "
                                   f"variable of the root module {root.directory}: its value goes nowhere",
                                   origin.file, origin.line))
    unset = [block for name, block in variables.items() if "default" not in block.body and name not in tfvars]
    if unset and deployed_as_is(root):
        out.append(_unset_warning(root, unset))
    return out


def deployed_as_is(root: TfModule) -> bool:
    """A root module run by ``terraform apply`` itself, not a module written to be called: it
    configures a provider, has its own tfvars, or has been initialised (``.terraform``)."""
    if root.blocks("provider"):
        return True
    return any(path.is_file() for path in own_tfvars_paths(root)) or (root.path / ".terraform").is_dir()


def _unset_warning(root: TfModule, unset: list[TfBlock]) -> ScanWarning:
    names = [b.labels[0] for b in unset]
    readers = _readers(root, set(names))
    listed = ", ".join(names)
    plural = len(names) != 1
    message = (f"root module {root.directory}: variable{'s' if plural else ''} {listed} "
               f"{'have' if plural else 'has'} no value and no default (give {'them' if plural else 'it'} with --var, "
               "--var-file or a terraform.tfvars)")
    if readers:
        more = f" and {len(readers) - MAX_READERS} more" if len(readers) > MAX_READERS else ""
        message += (f"; what reads {'them' if plural else 'it'} is unknown, so the rules that need it are not judged: "
                    f"{', '.join(readers[:MAX_READERS])}{more}")
    first = min(unset, key=lambda b: (b.file, b.line))
    return ScanWarning("variable-unset", message, first.file, first.line)


def _readers(root: TfModule, names: set[str]) -> list[str]:
    """The resource arguments and module inputs of the root that read one of ``names`` directly."""
    out: list[str] = []
    for block in root.blocks("resource") + root.blocks("module"):
        for argument, raw in block.body.items():
            if argument in CALL_ARGUMENTS or argument == "lifecycle":
                continue
            if any(len(ref) >= 2 and ref[0] == "var" and ref[1] in names for ref in hclexpr.references(raw)):
                owner = f"module.{block.labels[0]}" if block.block_type == "module" else ".".join(block.labels)
                out.append(f"{owner}.{argument}")
    return list(dict.fromkeys(out))


def unknown_cli_variables(roots: list[TfModule], variables: dict[str, str], var_files: list[Path],
                          read_var_file: Callable[[Path], dict[str, tuple[Any, int]] | None]) -> list[ScanWarning]:
    """``--var`` and ``--var-file`` names that match no variable of any scanned root module."""
    declared = {b.labels[0] for root in roots for b in root.blocks("variable") if b.labels}
    where = "any scanned root module" if len(roots) != 1 else f"the root module {roots[0].directory}"
    out = [ScanWarning("input-unknown", f"--var {name}: matches no variable of {where}; its value goes nowhere")
           for name in variables if name not in declared]
    for path in var_files:
        for name, (_, line) in (read_var_file(path) or {}).items():
            if name not in declared:
                out.append(ScanWarning("input-unknown", f"--var-file {path} sets {name!r}, which matches no variable "
                                       f"of {where}: its value goes nowhere", str(path), line))
    return out
