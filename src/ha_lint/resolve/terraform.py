"""Resolve Terraform modules the way ``terraform plan`` would, as far as the files allow.

Root modules are the scanned directories no other scanned directory calls as a local
module. Each root is instantiated with its variables (defaults, ``terraform.tfvars``,
``*.auto.tfvars``, ``--var-file``, ``--var``, ``TF_VAR_*``); local child modules are
instantiated through their calls with the inputs given there (addresses
``module.db.aws_db_instance.this``). ``count``/``for_each`` on known values expand into
instances (``aws_subnet.private[0]``, ``aws_subnet.x["a"]``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ha_lint import hclexpr
from ha_lint.loaders.terraform import TfBlock, TfModule
from ha_lint.model import TERRAFORM, Resource, Workload
from ha_lint.values import UNKNOWN, AzToken, Choice, Origin, Ref

MAX_MODULE_DEPTH = 12
MAX_INSTANCES = 1000  # count/for_each beyond this is treated as unknown
_AZS_ASSUMED = 3  # data.aws_availability_zones: every commercial region has at least 3 AZs (us-west-1 excepted)
_RESERVED = {"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection", "dynamic"}


@dataclass
class TfSettings:
    variables: dict[str, str] = field(default_factory=dict)  # --var name=value
    var_files: list[Path] = field(default_factory=list)  # --var-file
    region: str | None = None
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))


ModuleLoader = Callable[[Path], "TfModule | None"]


def root_modules(modules: dict[Path, TfModule]) -> list[TfModule]:
    """Modules that no other scanned module calls through a local ``source``."""
    called: set[Path] = set()
    for module in modules.values():
        for block in module.blocks("module"):
            source = block.body.get("source")
            if isinstance(source, str) and source.startswith(("./", "../")):
                called.add((module.path / source).resolve())
    return [m for p, m in modules.items() if p.resolve() not in called]


def resolve(root: TfModule, settings: TfSettings, load_module: ModuleLoader,
            tfvars: dict[str, Any]) -> tuple[Workload, list[Resource], list[str]]:
    """Instantiate a root module and its local children. Returns warnings as strings."""
    files = [f.file for f in root.files]
    entry = next((f for f in files if f.endswith("main.tf")), files[0] if files else root.directory)
    workload = Workload(root.directory, TERRAFORM, entry, {})
    inputs: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    for name, (value, origin) in tfvars.items():
        inputs[name] = value
        origins[name] = origin
    out: list[Resource] = []
    warnings: list[str] = []
    _Instance(root, "", inputs, origins, workload, settings, load_module, out, warnings, 0).run()
    return workload, out, warnings


class _Lazy:
    """Attribute access that evaluates on demand (locals, module outputs)."""

    def __init__(self, get: Callable[[str], Any]) -> None:
        self._get = get

    def hcl_getattr(self, name: str) -> Any:
        return self._get(name)

    def hcl_index(self, key: Any) -> Any:
        return self._get(key) if isinstance(key, str) else UNKNOWN


class _Instance:
    """One instantiation of a module (the root, or a child through one call)."""

    def __init__(self, module: TfModule, prefix: str, inputs: dict[str, Any], input_origins: dict[str, Origin],
                 workload: Workload, settings: TfSettings, load_module: ModuleLoader,
                 out: list[Resource], warnings: list[str], depth: int) -> None:
        self.module = module
        self.prefix = prefix
        self.workload = workload
        self.settings = settings
        self.load_module = load_module
        self.out = out
        self.warnings = warnings
        self.depth = depth
        self.variables: dict[str, Any] = {}
        self.var_origins: dict[str, Origin] = {}
        for block in module.blocks("variable"):
            name = block.labels[0]
            if name in inputs:
                self.variables[name] = inputs[name]
                if name in input_origins:
                    self.var_origins[name] = input_origins[name]
            elif "default" in block.body:
                default = hclexpr.evaluate_value(block.body["default"], _EMPTY)
                self.variables[name] = default
                self.var_origins[name] = Origin(f"variable {name} defaults to {_show(default)}",
                                                block.file, block.lines.get("default", block.line))
            else:
                self.variables[name] = UNKNOWN
        self.local_exprs: dict[str, Any] = {}
        for block in module.locals():
            self.local_exprs.update(block.body)
        self.local_values: dict[str, Any] = {}
        self.local_busy: set[str] = set()
        self.resource_blocks: dict[tuple[str, str], TfBlock] = {
            (b.labels[0], b.labels[1]): b for b in module.blocks("resource") if len(b.labels) == 2}
        self.instance_keys: dict[tuple[str, str], Any] = {}
        self.module_blocks = {b.labels[0]: b for b in module.blocks("module") if b.labels}
        self.region = self._provider_regions()

    # -- scope ---------------------------------------------------------------------------

    def scope(self, extra: dict[str, Any] | None = None) -> "_Scope":
        return _Scope(self, extra or {})

    def local(self, name: str) -> Any:
        if name in self.local_values:
            return self.local_values[name]
        if name in self.local_busy or name not in self.local_exprs:
            return UNKNOWN  # a cycle, or no such local
        self.local_busy.add(name)
        value = hclexpr.evaluate_value(self.local_exprs[name], self.scope())
        self.local_busy.discard(name)
        self.local_values[name] = value
        return value

    def resource_handle(self, rtype: str, name: str) -> Any:
        key = (rtype, name)
        if key not in self.resource_blocks:
            return UNKNOWN
        keys = self.instance_keys.get(key)
        if keys is None:
            keys = self._instance_keys(self.resource_blocks[key])
            self.instance_keys[key] = keys
        base = f"{self.prefix}{rtype}.{name}"
        if keys is UNKNOWN:
            return UNKNOWN
        if keys == [None]:
            return Ref(base)
        if all(isinstance(k, int) for k in keys):
            return [Ref(f"{base}[{k}]") for k in keys]
        return {k: Ref(f'{base}["{k}"]') for k in keys}

    def module_output(self, name: str) -> Any:
        return _Lazy(lambda output: UNKNOWN)  # outputs of child modules: unknown for now

    # -- instantiation -------------------------------------------------------------------

    def _instance_keys(self, block: TfBlock) -> Any:
        """[None] for a single instance, ints for count, keys for for_each; UNKNOWN if unknowable."""
        if "count" in block.body:
            count = hclexpr.evaluate_value(block.body["count"], self.scope())
            if isinstance(count, bool) or not isinstance(count, (int, float)):
                return UNKNOWN
            return list(range(min(int(count), MAX_INSTANCES)))
        if "for_each" in block.body:
            each = hclexpr.evaluate_value(block.body["for_each"], self.scope())
            if isinstance(each, dict):
                return [str(k) for k in list(each)[:MAX_INSTANCES]]
            if isinstance(each, list) and all(isinstance(v, str) for v in each):
                return list(dict.fromkeys(each))[:MAX_INSTANCES]
            return UNKNOWN
        return [None]

    def run(self) -> None:
        for (rtype, name), block in self.resource_blocks.items():
            keys = self._instance_keys(block)
            self.instance_keys[(rtype, name)] = keys
            if keys is UNKNOWN:
                keys = [None]  # one representative instance, with count/each unknown
                extra_for = lambda k: {"count": {"index": UNKNOWN}, "each": {"key": UNKNOWN, "value": UNKNOWN}}
            else:
                for_each = hclexpr.evaluate_value(block.body["for_each"], self.scope()) if "for_each" in block.body else None
                extra_for = lambda k, fe=for_each: _iteration(k, fe)
            for key in keys:
                address = f"{self.prefix}{rtype}.{name}" + ("" if key is None else (f"[{key}]" if isinstance(key, int) else f'["{key}"]'))
                self.out.append(self._resource(block, rtype, address, self.scope(extra_for(key))))
        if self.depth >= MAX_MODULE_DEPTH:
            return
        for name, block in self.module_blocks.items():
            self._call(name, block)

    def _resource(self, block: TfBlock, rtype: str, address: str, scope: "_Scope") -> Resource:
        body = {k: v for k, v in block.body.items() if k not in _RESERVED}
        props = {k: hclexpr.evaluate_value(v, scope) for k, v in body.items()}
        for dyn in block.body.get("dynamic", []) if isinstance(block.body.get("dynamic"), list) else []:
            _expand_dynamic(dyn, props, scope)
        origins: dict[str, Origin] = {}
        for key, raw in body.items():
            if isinstance(raw, str) and raw.startswith("${var.") and raw.endswith("}"):
                var = raw[6:-1]
                if var in self.var_origins:
                    origins[key] = self.var_origins[var]
        references = self._references(block, address)
        provider = block.body.get("provider")
        region = self.region.get(provider if isinstance(provider, str) else "${aws}", self.region.get("${aws}", UNKNOWN))
        meta: dict[str, Any] = {"references": references, "region": region, "module": self.prefix.rstrip(".")}
        if "lifecycle" in block.body:
            meta["lifecycle"] = hclexpr.evaluate_value(block.body["lifecycle"], scope)
        return Resource(address=address, type=rtype, source=TERRAFORM, file=block.file, line=block.line,
                        workload=self.workload.id, props=props, lines=dict(block.lines), origins=origins, meta=meta)

    def _references(self, block: TfBlock, address: str) -> list[tuple[str, str, str | None]]:
        out: list[tuple[str, str, str | None]] = []
        for key, raw in block.body.items():
            if key in ("count", "for_each", "lifecycle", "provider"):
                continue
            for ref in hclexpr.references(raw):
                if len(ref) >= 2 and (ref[0], ref[1]) in self.resource_blocks:
                    target = f"{self.prefix}{ref[0]}.{ref[1]}"
                    attr = ref[2] if len(ref) > 2 and isinstance(ref[2], str) else None
                    out.append((key, target, attr))
        return out

    def _call(self, name: str, block: TfBlock) -> None:
        source = block.body.get("source")
        if not isinstance(source, str) or not source.startswith(("./", "../")):
            return  # registry and remote modules: resolved from .terraform/modules when present (later)
        child = self.load_module((self.module.path / source).resolve())
        if child is None:
            self.warnings.append(f"{block.file}:{block.line}: module {name!r}: source {source!r} not found")
            return
        keys = self._instance_keys(block)
        if keys is UNKNOWN:
            keys = [None]
        for key in keys:
            scope = self.scope(_iteration(key, None))
            inputs = {k: hclexpr.evaluate_value(v, scope) for k, v in block.body.items()
                      if k not in _RESERVED and k not in ("source", "version", "providers")}
            origins = {k: Origin(f"module {name} input {k} = {_show(v)}", block.file, block.lines.get(k, block.line))
                       for k, v in inputs.items()}
            suffix = "" if key is None else (f"[{key}]" if isinstance(key, int) else f'["{key}"]')
            _Instance(child, f"{self.prefix}module.{name}{suffix}.", inputs, origins, self.workload,
                      self.settings, self.load_module, self.out, self.warnings, self.depth + 1).run()

    def _provider_regions(self) -> dict[str, Any]:
        regions: dict[str, Any] = {}
        for block in self.module.blocks("provider"):
            if block.labels[0] != "aws":
                continue
            alias = block.body.get("alias")
            region = hclexpr.evaluate_value(block.body.get("region", UNKNOWN), self.scope())
            if region is UNKNOWN and self.settings.region:
                region = self.settings.region
            regions["${aws.%s}" % alias if isinstance(alias, str) else "${aws}"] = region
        if "${aws}" not in regions:
            regions["${aws}"] = self.settings.region or UNKNOWN
        return regions


class _Scope:
    def __init__(self, instance: _Instance, extra: dict[str, Any]) -> None:
        self.instance = instance
        self.extra = extra

    def get(self, name: str, default: Any = UNKNOWN) -> Any:
        if name in self.extra:
            return self.extra[name]
        inst = self.instance
        if name == "var":
            return inst.variables
        if name == "local":
            return _Lazy(inst.local)
        if name == "data":
            return _Lazy(lambda dtype: _Lazy(lambda dname: _data_source(dtype, inst.region.get("${aws}", UNKNOWN))))
        if name == "module":
            return _Lazy(inst.module_output)
        if name == "path":
            return {"module": inst.module.directory, "root": inst.workload.id, "cwd": "."}
        if name == "terraform":
            return {"workspace": "default"}
        if name.startswith("aws_") or "_" in name:
            return _Lazy(lambda rname: inst.resource_handle(name, rname))
        return default


class _EmptyScope:
    def get(self, name: str, default: Any = UNKNOWN) -> Any:
        return default


_EMPTY = _EmptyScope()


def _data_source(dtype: str, region: Any) -> Any:
    if dtype == "aws_availability_zones":
        tag = region if isinstance(region, str) else ""
        tokens = [AzToken(tag, i) for i in range(_AZS_ASSUMED)]
        return {"names": tokens, "zone_ids": tokens}
    return _Lazy(lambda attr: UNKNOWN)


def _iteration(key: Any, for_each: Any) -> dict[str, Any]:
    if key is None:
        return {}
    if isinstance(key, int):
        return {"count": {"index": key}}
    value = for_each.get(key, UNKNOWN) if isinstance(for_each, dict) else key
    return {"each": {"key": key, "value": value}}


def _expand_dynamic(dynamic: Any, props: dict[str, Any], scope: _Scope) -> None:
    """``dynamic "ingress" { for_each = ...; content {...} }`` -> ``ingress`` blocks."""
    if not isinstance(dynamic, dict):
        return
    for label, spec in dynamic.items():
        if not isinstance(spec, dict):
            continue
        items = hclexpr.evaluate_value(spec.get("for_each", UNKNOWN), scope)
        iterator = spec.get("iterator", label)
        content = spec.get("content")
        content = content[0] if isinstance(content, list) and content else content
        if not isinstance(content, dict) or not isinstance(iterator, str):
            continue
        if isinstance(items, dict):
            pairs = list(items.items())
        elif isinstance(items, list):
            pairs = list(enumerate(items))
        else:
            continue  # unknown collection: nothing known about these blocks
        blocks = props.setdefault(label, [])
        if not isinstance(blocks, list):
            continue
        for key, value in pairs[:MAX_INSTANCES]:
            inner = _Scope(scope.instance, {**scope.extra, iterator: {"key": key, "value": value}})
            blocks.append({k: hclexpr.evaluate_value(v, inner) for k, v in content.items()})


def _show(value: Any) -> str:
    if value is UNKNOWN:
        return "unknown"
    if isinstance(value, Choice):
        return "one of several values"
    return repr(value)


def read_tfvars(module: TfModule, settings: TfSettings, parse_file: Callable[[Path], dict[str, Any] | None]) -> dict[str, tuple[Any, Origin]]:
    """Variable values for a root module, lowest precedence first, as Terraform applies them."""
    values: dict[str, tuple[Any, Origin]] = {}
    for name, text in settings.environ.items():
        if name.startswith("TF_VAR_"):
            values[name[7:]] = (_literal(text), Origin(f"environment {name}={text!r}"))
    files = [module.path / "terraform.tfvars"] + sorted(module.path.glob("*.auto.tfvars")) + list(settings.var_files)
    for path in files:
        if not path.is_file():
            continue
        parsed = parse_file(path)
        for name, (raw, line) in (parsed or {}).items():
            value = hclexpr.evaluate_value(raw, _EMPTY)
            values[name] = (value, Origin(f"{path.name} sets {name} = {_show(value)}", str(path), line))
    for name, text in settings.variables.items():
        values[name] = (_literal(text), Origin(f"--var {name}={text}"))
    return values


def _literal(text: str) -> Any:
    """A -var / TF_VAR_ value: HCL literal syntax when it parses, else the raw string."""
    value = hclexpr.evaluate_value("${" + text + "}", _EMPTY) if text.strip() else text
    return text if value is UNKNOWN else value

