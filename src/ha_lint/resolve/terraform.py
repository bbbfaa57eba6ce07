"""Resolve Terraform modules the way ``terraform plan`` would, as far as the files allow.

Root modules are the scanned directories no other scanned directory calls as a local
module. Each root is instantiated with its variables (lowest precedence first: ``TF_VAR_*``,
``terraform.tfvars[.json]``, ``*.auto.tfvars[.json]``, ``--var-file``, ``--var``; then the
variable's default). Child modules are instantiated through their calls with the inputs
given there (addresses ``module.db.aws_db_instance.this``): local sources
(``./modules/db``), and registry or remote sources through ``.terraform/modules/modules.json``
when ``terraform init`` has been run. ``count``/``for_each`` on known values expand into
instances (``aws_subnet.private[0]``, ``aws_subnet.x["a"]``; ``count = 0`` creates nothing;
an unknown count gives one representative instance). ``module.x.out`` is the child's
``output`` evaluated in that child instance. A resource attribute that is one of the
resource's own arguments (``aws_subnet.a.availability_zone``) is that argument's value;
any other attribute (``.id``, ``.arn``) is a ``Ref``. ``data.aws_availability_zones.x.names``
is the region's AZ list as ``AzToken``s (distinct by index).

Variables are converted to their ``type`` as Terraform converts them (``tftypes``): omitted
or null ``optional()`` object attributes take their defaults (Terraform 1.3+), undeclared
attributes are dropped, a set of strings is in lexical order. A null input keeps a nullable
variable null (the argument is then unset: the provider's default); ``nullable = false``
gives the default instead.

``dynamic`` blocks expand over known collections, inside nested blocks and other dynamic
blocks too. Decision: a ``for_each`` that is a conditional on an unknown value
(``var.env == "prod" ? [1] : []``) is a ``Choice`` of each branch's blocks, like any other
ternary on an unknown (the branch without the block has the provider's default, and a
finding names it); a ``for_each`` over a collection nobody knows is unknown, not absent, so
it is never read as "the block is missing".

Every attribute whose value comes from a variable, local, module input or output carries an
``Origin`` naming where the value was written (the ``terraform.tfvars`` line, the default,
the module call), with the steps it took (``-> module db input multi_az (main.tf:12)``).

Everything is evaluated on demand and cached (locals, variables, outputs, instance keys);
cycles (locals naming each other, modules calling themselves) end as unknown, with a
warning for module cycles.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ha_lint import hclexpr
from ha_lint.loaders.terraform import TfBlock, TfModule, has_configuration
from ha_lint.model import TERRAFORM, ModuleCall, Resource, ResourceMeta, ScanWarning, Workload
from ha_lint.resolve import chain, tfinputs, tftypes
from ha_lint.root import RepositoryRoot, shown_path
from ha_lint.values import UNKNOWN, AzToken, CallInput, Choice, DynamicBlock, Origin, Ref, map_leaves

MAX_MODULE_DEPTH = 12
MAX_INSTANCES = 1000  # count/for_each beyond this is treated as unknown
MAX_SOURCES = 3  # an expression reading more variables/locals/outputs than this gets no origin
MAX_RESOURCES = 50_000  # resource instances per root module: a guard against fan-out
_AZS_ASSUMED = 3  # data.aws_availability_zones: every commercial region has at least 3 AZs (us-west-1 excepted)
_RESERVED = {"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection", "dynamic"}
_CALL_META = {"source", "version", "providers", "count", "for_each", "depends_on"}
_BUSY = object()  # a value being computed: asking for it again is a cycle
PROVIDER_CREDENTIALS_KEY = "_ha_lint_provider_credentials"  # workload metadata: see _provider_credentials
_UNKNOWN_ITERATION = {"count": {"index": UNKNOWN}, "each": {"key": UNKNOWN, "value": UNKNOWN}}
_LOOP_ORIGINS = "\0loop"  # key in an iteration scope: the origins of the count/for_each collection
_LOOP_VARIABLE = "\0loop variable"  # key in an iteration scope: the variable a for_each is, when it is one
_ITERATOR_ORIGINS = "\0iterators"  # key in a scope: dynamic-block iterator name -> its for_each's origins


@dataclass
class TfSettings:
    variables: dict[str, str] = field(default_factory=dict)  # --var name=value
    var_files: list[Path] = field(default_factory=list)  # --var-file
    region: str | None = None
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    # --download-modules: (source, version constraint, file, line) -> (the module's directory, the
    # registry version chosen or ""), or None after recording a load error at that line
    # (ha_lint.fetch.fetcher.ModuleFetcher.locate)
    locate_module: Callable[[str, str | None, str, int], tuple[Path, str] | None] | None = None
    # How far module sources may reach (ha_lint.root); None: anywhere.
    boundary: RepositoryRoot | None = None


ModuleLoader = Callable[[Path], "TfModule | None"]


def root_modules(modules: dict[Path, TfModule]) -> list[TfModule]:
    """Modules that no other scanned module calls through a local ``source``."""
    called: set[Path] = set()
    for module in modules.values():
        for block in module.blocks("module"):
            source = block.body.get("source")
            if isinstance(source, str) and is_local_source(source):
                called.add((module.path / source).resolve())
    return [m for p, m in modules.items() if p.resolve() not in called]


def resolve(root: TfModule, settings: TfSettings, load_module: ModuleLoader,
            tfvars: dict[str, Any], calls: tuple[ModuleCall, ...] = ()) -> tuple[Workload, list[Resource], list[ScanWarning]]:
    """Instantiate a root module and its children, with the warnings of what could not be
    read (``module-not-found``, ``module-cycle``, ``resource-limit``) and of inputs that go
    nowhere (``input-unknown``, ``variable-unset``: ``tfinputs``). ``calls``: what deploys the
    root itself when that is not Terraform's root (a Terragrunt unit, whose ``inputs`` are its
    tfvars): its resources are then reported at the call, as a child module's are."""
    files = [f.file for f in root.files]
    entry = next((f for f in files if f.endswith("main.tf")), files[0] if files else root.directory)
    workload = Workload(root.directory, TERRAFORM, entry, {})
    dot_terraform = root.path / ".terraform"
    # A .terraform that is a link out of the repository is not read (nor what it lists).
    outside = settings.boundary is not None and os.path.lexists(dot_terraform) \
        and not settings.boundary.inside_root(dot_terraform)
    run = _Run(workload, settings, load_module, {} if outside else _installed_modules(root.path))
    if outside:
        run.warnings.append(settings.boundary.outside(  # type: ignore[union-attr]
            f"{root.directory}/.terraform (the modules `terraform init` installed)", root.directory, None))
    else:
        run.versions.update(_installed_versions(root.path))
    inputs = {name: _Input(value=value, origin=origin) for name, (value, origin) in tfvars.items()}
    instance = _Instance(run, root, "", "", inputs, None, (str(root.path.resolve()),), 0, calls=calls)
    instance.run()
    run.warnings.extend(tfinputs.root_input_warnings(root, tfvars))
    return workload, run.out, list(dict.fromkeys(run.warnings))


def root_outputs(root: TfModule, settings: TfSettings, load_module: ModuleLoader,
                 tfvars: dict[str, Any]) -> dict[str, tuple[Any, Origin]]:
    """The values of a root module's ``output`` blocks as its configuration decides them (a
    Terragrunt dependency's outputs), each with its origin. What exists only after apply (a
    resource's id, a reference to one) is unknown: the values leave this root, where no
    reference resolves."""
    workload = Workload(root.directory, TERRAFORM, root.directory, {})
    run = _Run(workload, settings, load_module, _installed_modules(root.path))
    inputs = {name: _Input(value=value, origin=origin) for name, (value, origin) in tfvars.items()}
    instance = _Instance(run, root, "", "", inputs, None, (str(root.path.resolve()),), 0)
    out = {}
    for name, block in instance.output_blocks.items():
        value, origin = instance.output(name)
        value = map_leaves(_plain(value), lambda leaf: UNKNOWN if isinstance(leaf, Ref) else leaf)
        out[name] = (value, origin or Origin(f"output {name} = {show(value)}", block.file,
                                             block.lines.get("value", block.line)))
    return out


@dataclass
class _Input:
    """A variable's value given from outside the module: known now (tfvars) or on demand
    (a module call's argument, evaluated in the caller)."""

    value: Any = None
    origin: Origin | None = None
    compute: Callable[[], tuple[Any, Origin | None]] | None = None
    # A module call's argument written as an object or tuple: the origin of one of its parts
    # (``("complete", "min_size")``), at that key's line; None when the part has no line of its own.
    part: Callable[[tuple[Any, ...]], Origin | None] | None = None


class _Run:
    """What one root module's resolution shares: settings, output, budgets."""

    def __init__(self, workload: Workload, settings: TfSettings, load_module: ModuleLoader,
                 installed: dict[str, Path]) -> None:
        self.workload = workload
        self.settings = settings
        self.load_module = load_module
        self.installed = installed  # modules.json: module key -> directory
        self.versions: dict[str, str] = {}  # module key -> the version installed (registry sources)
        self.out: list[Resource] = []
        self.warnings: list[ScanWarning] = []
        self.budget = MAX_RESOURCES
        self.build_budget = hclexpr.BuildBudget()  # what its expressions may still build
        self.unreadable: set[tuple[str, str]] = set()  # (module directory, expression) already said


class _Lazy:
    """Attribute access that evaluates on demand (var, local, module outputs, data)."""

    def __init__(self, get: Callable[[str], Any]) -> None:
        self._get = get

    def hcl_getattr(self, name: str) -> Any:
        return self._get(name)

    def hcl_index(self, key: Any) -> Any:
        return self._get(key) if isinstance(key, str) else UNKNOWN


class _Handle:
    """A resource instance inside an expression. Its arguments are known attributes
    (``aws_subnet.a.availability_zone``); other attributes are ``Ref``s."""

    def __init__(self, instance: "_Instance", block: TfBlock, address: str, key: Any) -> None:
        self.instance = instance
        self.block = block
        self.address = address
        self.key = key

    def hcl_getattr(self, name: str) -> Any:
        value = self.instance.echo(self, name)
        return Ref(self.address, name) if value is UNKNOWN else value

    def hcl_index(self, key: Any) -> Any:
        return UNKNOWN


class _Instance:
    """One instantiation of a module (the root, or a child through one call and key)."""

    def __init__(self, run: _Run, module: TfModule, prefix: str, key_path: str, inputs: dict[str, _Input],
                 parent: "_Instance | None", ancestors: tuple[str, ...], depth: int,
                 providers: dict[str, str] | None = None, calls: tuple[ModuleCall, ...] = ()) -> None:
        self.run_ = run
        self.calls = calls  # the calls from the root to this instance, outermost first
        self.external = bool(calls) and calls[-1].external  # its code is outside the repository
        self.module = module
        self.prefix = prefix  # "module.db[0]." for addresses
        self.key_path = key_path  # "db" for .terraform/modules/modules.json
        self.inputs = inputs
        self.ancestors = ancestors
        self.depth = depth
        self.variable_blocks = {b.labels[0]: b for b in module.blocks("variable") if b.labels}
        self.local_exprs: dict[str, tuple[Any, TfBlock]] = {}
        for block in module.locals():
            for name, raw in block.body.items():
                self.local_exprs[name] = (raw, block)
        self.output_blocks = {b.labels[0]: b for b in module.blocks("output") if b.labels}
        self.resource_blocks: dict[tuple[str, str], TfBlock] = {
            (b.labels[0], b.labels[1]): b for b in module.blocks("resource") if len(b.labels) == 2}
        self.data_blocks: dict[tuple[str, str], TfBlock] = {
            (b.labels[0], b.labels[1]): b for b in module.blocks("data") if len(b.labels) == 2}
        self.module_blocks = {b.labels[0]: b for b in module.blocks("module") if b.labels}
        self.cache: dict[tuple[str, Any], Any] = {}  # (what, name) -> value, origin, keys...
        # Where an unresolved Region comes from, per provider configuration (for messages).
        self.region_source: dict[str, str] = {}
        self.region = self._provider_regions(parent, providers or {})

    # -- memoised, cycle-safe evaluation -------------------------------------------------

    def _memo(self, key: tuple[str, Any], compute: Callable[[], Any], cyclic: Any) -> Any:
        found = self.cache.get(key)
        if found is _BUSY:
            return cyclic
        if key in self.cache:
            return found
        self.cache[key] = _BUSY
        try:
            value = compute()
        finally:
            self.cache.pop(key, None)
        self.cache[key] = value
        return value

    def evaluate(self, raw: Any, extra: dict[str, Any] | None = None) -> Any:
        return hclexpr.evaluate_value(raw, _Scope(self, extra or {}))

    # -- variables, locals, outputs -------------------------------------------------------

    def variable(self, name: str) -> tuple[Any, Origin | None]:
        return self._memo(("var", name), lambda: self._variable(name), (UNKNOWN, None))

    def _variable(self, name: str) -> tuple[Any, Origin | None]:
        block = self.variable_blocks.get(name)
        given = self.inputs.get(name)
        if block is None:
            return UNKNOWN, None
        typ = tftypes.parse_type(block.body.get("type"))
        if given is not None:
            value, origin = given.compute() if given.compute is not None else (given.value, given.origin)
            # null means "not set" only for a variable declared nullable = false
            if not (value is None and block.body.get("nullable") is False and "default" in block.body):
                return tftypes.convert(value, typ), origin
        if "default" in block.body:
            default = tftypes.convert(hclexpr.evaluate_value(block.body["default"], _EMPTY), typ)
            origin = Origin(f"variable {name} defaults to {show(default)}", block.file,
                            block.lines.get("default", block.line))
            call = self.calls[-1] if self.external and not any(c.external for c in self.calls[:-1]) else None
            if call is not None:  # a default in code outside the repository: the call is where to change it
                origin = Origin(f"{call.address} leaves {name} unset", call.file, call.line, (origin,))
            return default, origin
        return UNKNOWN, None

    def local(self, name: str) -> tuple[Any, Origin | None]:
        return self._memo(("local", name), lambda: self._local(name), (UNKNOWN, None))

    def _local(self, name: str) -> tuple[Any, Origin | None]:
        if name not in self.local_exprs:
            return UNKNOWN, None
        raw, block = self.local_exprs[name]
        value = self.evaluate(raw)
        step = Origin(f"local.{name} = {show(value)}", block.file, block.lines.get(name, block.line))
        return value, chain([*self.origins_of(raw), step])

    def output(self, name: str) -> tuple[Any, Origin | None]:
        return self._memo(("output", name), lambda: self._output(name), (UNKNOWN, None))

    def _output(self, name: str) -> tuple[Any, Origin | None]:
        block = self.output_blocks.get(name)
        if block is None or "value" not in block.body:
            return UNKNOWN, None
        raw = block.body["value"]
        value = self.evaluate(raw)
        module = self.prefix.rstrip(".")
        step = Origin(f"{module} output {name} = {show(value)}".lstrip(), block.file, block.lines.get("value", block.line))
        origins = self.origins_of(raw)
        return value, chain([*origins, step]) if origins else None

    def origins_of(self, raw: Any, extra: dict[str, Any] | None = None, instances: bool = False) -> list[Origin]:
        """Where the variables, locals and module outputs an expression reads were set
        (``instances``: of a ``count``/``for_each``, see ``hclexpr.deciding_references``)."""
        out: list[Origin] = []
        for ref in hclexpr.deciding_references(raw, _Scope(self, extra or {}), instances):
            origin: Origin | None = None
            if len(ref) >= 2 and ref[0] == "var" and isinstance(ref[1], str):
                origin = self.variable_origin(ref[1], ref[2:])
            elif len(ref) >= 2 and ref[0] == "local" and isinstance(ref[1], str):
                origin = self.local(ref[1])[1]
            elif len(ref) >= 3 and ref[0] == "module" and ref[1] in self.module_blocks:
                call = self.module_blocks[ref[1]]
                keyed = "count" in call.body or "for_each" in call.body
                key, attr = (ref[2], ref[3] if len(ref) > 3 else None) if keyed else (None, ref[2])
                child = self.children(ref[1]).get(key)
                if child is not None and isinstance(attr, str):
                    origin = child.output(attr)[1]
            elif len(ref) >= 3 and (ref[0], ref[1]) in self.resource_blocks:
                origin = self.argument_origin(self.resource_blocks[(ref[0], ref[1])], ref[2:])
            elif extra and isinstance(ref[0], str) and ref[0] in extra.get(_ITERATOR_ORIGINS, {}):
                # ingress.value.port in a dynamic block's content: set where its for_each's collection was
                out.extend(o for o in extra[_ITERATOR_ORIGINS][ref[0]] if o not in out)
            elif ref[0] in ("each", "count") and extra:
                origin = self._each_part_origin(ref, extra)  # each.value.x of a for_each over var.v: v's part
                if origin is None:
                    out.extend(o for o in extra.get(_LOOP_ORIGINS, ()) if o not in out)
            if origin is not None and origin not in out:
                out.append(origin)
        # An expression that reads many settings does not have one origin: naming them all is noise.
        # But when only a few of them were given at a module call (the rest left at their
        # defaults), those are what the caller wrote: they are the origin a finding points at.
        if len(out) <= MAX_SOURCES:
            return out
        given = [o for o in out if any(step.input is not None for step in o.steps())]
        return given if len(given) <= MAX_SOURCES else []

    def _each_part_origin(self, ref: tuple[Any, ...], extra: dict[str, Any]) -> Origin | None:
        """``each.value.min_size`` where the block's ``for_each`` is a variable given at a module
        call as a map written out: the origin of that map's ``<each.key>.min_size``."""
        each, variable = extra.get("each"), extra.get(_LOOP_VARIABLE)
        if ref[:2] != ("each", "value") or not isinstance(each, dict) or not isinstance(variable, str):
            return None
        return self._part_origin(variable, (each.get("key"), *ref[2:]))

    # -- resources -------------------------------------------------------------------------

    def argument_origin(self, block: TfBlock, rest: tuple[Any, ...]) -> Origin | None:
        """The origin of ``aws_x.y[key].attr`` when ``attr`` is one of the resource's arguments."""
        key, rest = _instance_key(block, rest)
        attr = rest[0] if rest else None
        raw = block.body.get(attr) if isinstance(attr, str) and attr not in _RESERVED else None
        if raw is None or (isinstance(raw, list) and raw and isinstance(raw[0], dict)):
            return None
        return self._memo(("argument origin", (block.labels, key, attr)),
                          lambda: chain(self.origins_of(raw, self.iteration(block, key))), None)

    def instance_keys(self, block: TfBlock) -> Any:
        """[None] for a single instance, ints for count, keys for for_each; UNKNOWN if unknowable."""
        return self._memo(("keys", (block.block_type, block.labels)), lambda: self._instance_keys(block), UNKNOWN)

    def _instance_keys(self, block: TfBlock) -> Any:
        if "count" in block.body:
            count = self.evaluate(block.body["count"])
            if isinstance(count, Choice):  # count = var.create ? 2 : 1: each instance and where it exists
                counts = [(label, n) for label, n in count.branches]
                if not counts or any(isinstance(n, bool) or not isinstance(n, (int, float)) or n < 0 for _, n in counts):
                    return UNKNOWN
                most = min(int(max(n for _, n in counts)), MAX_INSTANCES)
                self.cache[("instance conditions", (block.block_type, block.labels))] = {
                    i: _existence([label for label, n in counts if n > i], len(counts)) for i in range(most)}
                return list(range(most))
            if isinstance(count, bool) or not isinstance(count, (int, float)) or count < 0:
                return UNKNOWN
            return list(range(min(int(count), MAX_INSTANCES)))
        if "for_each" in block.body:
            each = self.for_each(block)
            if isinstance(each, dict):
                return [str(k) for k in list(each)[:MAX_INSTANCES]]
            if isinstance(each, list) and all(isinstance(v, str) for v in each):
                return list(dict.fromkeys(each))[:MAX_INSTANCES]
            if isinstance(each, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in each):
                # python-hcl2 drops the quotes of numeric strings inside calls (toset(["22"]) arrives
                # as 22): Terraform only accepts sets of strings here, so these were strings.
                return list(dict.fromkeys(_number_text(v) for v in each))[:MAX_INSTANCES]
            return UNKNOWN
        return [None]

    def for_each(self, block: TfBlock) -> Any:
        if "for_each" not in block.body:
            return None
        return self._memo(("for_each", (block.block_type, block.labels)),
                          lambda: self.evaluate(block.body["for_each"]), UNKNOWN)

    def iteration(self, block: TfBlock, key: Any) -> dict[str, Any]:
        if key is None:
            return {}
        loop = {_LOOP_ORIGINS: self.loop_origins(block)}
        if isinstance(key, int):
            return {"count": {"index": key}, **loop}
        each = self.for_each(block)
        value = each.get(key, UNKNOWN) if isinstance(each, dict) else key
        variable = _variable_read(block.body.get("for_each"))
        return {"each": {"key": key, "value": value}, **loop, **({_LOOP_VARIABLE: variable} if variable else {})}

    def loop_origins(self, block: TfBlock) -> list[Origin]:
        """Where the collection a ``count``/``for_each`` iterates over was set (``each.value.x``
        comes from there)."""
        raw = block.body.get("for_each", block.body.get("count"))
        return self._memo(("loop origins", (block.block_type, block.labels)),
                          lambda: self.origins_of(raw, instances=True) if raw is not None else [], [])

    def resource_handle(self, rtype: str, name: str) -> Any:
        block = self.resource_blocks.get((rtype, name))
        if block is None:
            return UNKNOWN
        keys = self.instance_keys(block)
        base = f"{self.prefix}{rtype}.{name}"
        if keys is UNKNOWN:
            return UNKNOWN
        if keys == [None]:
            return _Handle(self, block, base, None)
        if all(isinstance(k, int) for k in keys):
            return [_Handle(self, block, f"{base}[{k}]", k) for k in keys]
        return {k: _Handle(self, block, f"{base}{_suffix(k)}", k) for k in keys}

    def echo(self, handle: _Handle, name: str) -> Any:
        """A resource attribute that is one of its own arguments; UNKNOWN otherwise."""
        raw = handle.block.body.get(name)
        if raw is None or name in _RESERVED or (isinstance(raw, list) and raw and isinstance(raw[0], dict)):
            return UNKNOWN  # not set, meta-argument, or a nested block
        return self._memo(("echo", (handle.address, name)),
                          lambda: self.evaluate(raw, self.iteration(handle.block, handle.key)), UNKNOWN)

    def data_source(self, dtype: str, name: str) -> Any:
        block = self.data_blocks.get((dtype, name))
        provider = _provider_key(block.body.get("provider")) if block else "aws"
        region = self.region.get(provider, self.region.get("aws", UNKNOWN))
        if dtype == "aws_availability_zones":
            tag = region if isinstance(region, str) else ("" if provider == "aws" else f"provider {provider}")
            if block and any(k in block.body for k in _AZ_FILTERS):
                # A filtered list (exclude_names, filter, ...): its [0] is not the region's [0].
                tag = f"{tag} data.{dtype}.{name}".strip()
            tokens = [AzToken(tag, i, source=f"data.{dtype}.{name}.names") for i in range(_AZS_ASSUMED)]
            return {"names": tokens, "zone_ids": [AzToken(tag, i, "id", f"data.{dtype}.{name}.zone_ids")
                                                  for i in range(_AZS_ASSUMED)], "id": region}
        if dtype == "aws_region":
            return {"name": region, "id": region, "region": region}
        if dtype == "aws_iam_policy_document" and block is not None:
            doc = self._policy_document(block)
            return {"json": doc, "minified_json": doc, "id": UNKNOWN}
        if dtype == "aws_partition" and isinstance(region, str):
            return {"partition": "aws-cn" if region.startswith("cn-") else
                    "aws-us-gov" if region.startswith("us-gov-") else "aws"}
        return _Lazy(lambda attr: UNKNOWN)

    def _policy_document(self, block: TfBlock) -> Any:
        """``data "aws_iam_policy_document"`` as the policy it renders, as data (not a JSON
        string: resource ARNs are often known only after apply). UNKNOWN when it merges other
        documents or builds statements with ``dynamic`` / ``count`` / ``for_each``."""
        body = block.body
        merged = ("count", "for_each", "dynamic", "source_policy_documents", "override_policy_documents",
                  "source_json", "override_json")
        statements = body.get("statement", [])
        if any(key in body for key in merged) or not isinstance(statements, list):
            return UNKNOWN
        fields = {"sid": "Sid", "effect": "Effect", "actions": "Action", "not_actions": "NotAction",
                  "resources": "Resource", "not_resources": "NotResource"}
        out = []
        for statement in statements:
            if not isinstance(statement, dict) or "dynamic" in statement:
                return UNKNOWN
            rendered: dict[str, Any] = {"Effect": "Allow"}  # the data source's default effect
            for key, name in fields.items():
                if key in statement:
                    rendered[name] = _plain(self.evaluate(statement[key]))
            for key, name in (("principals", "Principal"), ("not_principals", "NotPrincipal"), ("condition", "Condition")):
                if key in statement:
                    rendered[name] = _plain(self.evaluate(statement[key]))
            out.append(rendered)
        version = _plain(self.evaluate(body["version"])) if "version" in body else "2012-10-17"
        return {"Version": version, "Statement": out}

    # -- child modules -------------------------------------------------------------------

    def module_value(self, name: str) -> Any:
        """``module.<name>``: an object of outputs (a list or map of them with count/for_each)."""
        if name not in self.module_blocks:
            return UNKNOWN
        children = self.children(name)
        keys = self.instance_keys(self.module_blocks[name])
        if keys is UNKNOWN:
            return UNKNOWN
        handles = {key: _Lazy(lambda out, c=child: c.output(out)[0]) for key, child in children.items()}
        if keys == [None]:
            return handles.get(None, UNKNOWN)
        if all(isinstance(k, int) for k in keys):
            return [handles.get(k, UNKNOWN) for k in keys]
        return {k: handles.get(k, UNKNOWN) for k in keys}

    def children(self, name: str) -> dict[Any, "_Instance"]:
        """The instances of one module call, by key (None for a call without count/for_each)."""
        return self._memo(("module", name), lambda: self._children(name), {})

    def _children(self, name: str) -> dict[Any, "_Instance"]:
        block = self.module_blocks.get(name)
        if block is None or self.depth >= MAX_MODULE_DEPTH:
            return {}
        child = self._child_module(name, block)
        if child is None:
            return {}
        self.run_.warnings.extend(tfinputs.unknown_module_inputs(name, block, child))
        keys = self.instance_keys(block)
        unknown = keys is UNKNOWN
        providers = block.body.get("providers") if isinstance(block.body.get("providers"), dict) else {}
        out: dict[Any, _Instance] = {}
        for key in [None] if unknown else keys:  # unknown count: one representative instance
            extra = _UNKNOWN_ITERATION if unknown else self.iteration(block, key)
            address = f"{self.prefix}module.{name}{_suffix(key)}"
            inputs = {k: _Input(compute=self._input(address, block, k, raw, extra),
                                part=self._input_part(address, block, k, raw, extra))
                      for k, raw in block.body.items() if k not in _CALL_META}
            out[key] = _Instance(self.run_, child, address + ".",
                                 f"{self.key_path}.{name}" if self.key_path else name, inputs, self,
                                 self.ancestors + (str(child.path.resolve()),), self.depth + 1,
                                 {_provider_key(k): _provider_key(v) for k, v in providers.items()},
                                 self.calls + (self._call(name, block, address),))
        return out

    def _call(self, name: str, block: TfBlock, address: str) -> ModuleCall:
        """The call of module ``name`` as a finding names it: code reached through a remote
        source, or a local one inside such code, is outside the repository."""
        source = block.body.get("source")
        source = source if isinstance(source, str) else ""
        external = self.external or not is_local_source(source)
        key = f"{self.key_path}.{name}" if self.key_path else name
        version = self.run_.versions.get(key) or block.body.get("version")
        return ModuleCall(address, source, version if isinstance(version, str) and not is_local_source(source) else "",
                          block.file, block.line, external)

    def _input(self, address: str, block: TfBlock, name: str, raw: Any,
               extra: dict[str, Any]) -> Callable[[], tuple[Any, Origin | None]]:
        module = block.labels[0] if block.labels else address

        def compute() -> tuple[Any, Origin | None]:
            value = self.evaluate(raw, extra)
            step = Origin(f"module {module} input {name} = {show(value)}", block.file, block.lines.get(name, block.line),
                          input=CallInput(address, name, self.external))
            return value, chain([*self.origins_of(raw, extra), step])
        return compute

    def _input_part(self, address: str, block: TfBlock, name: str, raw: Any,
                    extra: dict[str, Any]) -> Callable[[tuple[Any, ...]], Origin | None]:
        """The origin of a part of an argument written as an object or tuple: ``min_size`` of
        ``eks_managed_node_groups = { complete = { min_size = 1 ... } }`` is set at its own
        line, by what that part reads (not by every value of the whole map)."""
        module = block.labels[0] if block.labels else address

        def part(path: tuple[Any, ...]) -> Origin | None:
            sub, written = raw, [name]
            for step in path:
                if isinstance(sub, dict) and isinstance(step, str) and step in sub:
                    sub = sub[step]
                elif isinstance(sub, list) and isinstance(step, int) and 0 <= step < len(sub):
                    sub = sub[step]
                else:
                    break  # computed from here on: the deepest part written is the place
                written.append(str(step))
            key = ".".join(written)
            if len(written) == 1 or key not in block.lines:
                return None
            value = self.evaluate(sub, extra)
            step_origin = Origin(f"module {module} input {key} = {show(value)}", block.file, block.lines[key],
                                 input=CallInput(address, name, self.external))
            return chain([*self.origins_of(sub, extra), step_origin])
        return lambda path: self._memo(("input part", (address, name, path)), lambda: part(path), None)

    def variable_origin(self, name: str, path: tuple[Any, ...] = ()) -> Origin | None:
        """Where variable ``name`` (or the part ``path`` of it: ``var.groups.a.size``) was set."""
        return (self._part_origin(name, path) if path else None) or self.variable(name)[1]

    def _part_origin(self, name: str, path: tuple[Any, ...]) -> Origin | None:
        """Where the part ``path`` of variable ``name`` was set, when the module call wrote it out."""
        given = self.inputs.get(name)
        if given is None or given.part is None or name not in self.variable_blocks:
            return None
        return given.part(path)

    def _child_module(self, name: str, block: TfBlock) -> TfModule | None:
        """The module a call instantiates, or None with a warning saying why it is not read."""
        source = block.body.get("source")
        if not isinstance(source, str) or not source:
            self._warn_call(block, name, "module-not-found", "no source string (Terraform refuses a module block "
                            "without a literal `source`); not expanded")
            return None
        path = self.module_directory(name, source)
        if path is None and self.run_.settings.locate_module is not None:
            path = self._download(name, block, source)
            if path is None:
                return None  # a download asked for and failed: a load error at the call already
        if path is None:
            self._warn_call(block, name, "module-not-found", _not_installed(source, block.body.get("version")))
            return None
        boundary = self.run_.settings.boundary
        if boundary is not None and not boundary.inside_root(path):  # nothing of it is read, not even its existence
            self.run_.warnings.append(boundary.outside(f"module.{name}: source {source!r}", block.file,
                                                       block.lines.get("source", block.line)))
            return None
        if str(path) in self.ancestors:
            self._warn_call(block, name, "module-cycle", f"source {source!r} calls a module that is already being "
                            "instantiated (a module cycle); not expanded again")
            return None
        child = self.run_.load_module(path)
        if child is None:
            why = "the directory does not exist" if is_local_source(source) else \
                f"the directory `terraform init` recorded for it ({shown_path(path)}) does not exist: run `terraform init` again"
            self._warn_call(block, name, "module-not-found", f"source {source!r} not found: {why}; "
                            "its resources are not checked")
        elif not child.files and not has_configuration(path):
            self._warn_call(block, name, "module-not-found", f"source {source!r}: the directory {shown_path(path)} holds no "
                            ".tf files; no resources to check")
        return child

    def module_directory(self, name: str, source: str) -> Path | None:
        """Where a module call's source is on disk: a local path (whether it exists or not), the
        directory ``terraform init`` recorded in ``.terraform/modules/modules.json``, or None."""
        if is_local_source(source):
            return (self.module.path / source).resolve()
        key = f"{self.key_path}.{name}" if self.key_path else name
        installed = self.run_.installed.get(key)
        return installed.resolve() if installed is not None else None

    def _download(self, name: str, block: TfBlock, source: str) -> Path | None:
        """A remote source fetched (or found in the download cache) for --download-modules; the
        registry version chosen is the call's version, as for one ``terraform init`` installed."""
        version = block.body.get("version")
        located = self.run_.settings.locate_module(source, version if isinstance(version, str) else None,  # type: ignore[misc]
                                                   block.file, block.lines.get("source", block.line))
        if located is None:
            return None
        path, chosen = located
        if chosen:
            self.run_.versions[f"{self.key_path}.{name}" if self.key_path else name] = chosen
        return path.resolve()

    def _warn_call(self, block: TfBlock, name: str, code: str, message: str) -> None:
        """A warning at a module call's ``module`` block, naming the call as written there."""
        self.run_.warnings.append(ScanWarning(code, f"module.{name}: {message}", block.file, block.line))

    # -- instantiation -------------------------------------------------------------------

    def run(self) -> None:
        for (rtype, name), block in self.resource_blocks.items():
            keys = self.instance_keys(block)
            unknown = keys is UNKNOWN
            for key in [None] if unknown else keys:
                if self.run_.budget <= 0:
                    self.run_.warnings.append(ScanWarning(
                        "resource-limit", f"{self.run_.workload.id}: more than {MAX_RESOURCES} resource instances; "
                        "the rest are not checked", block.file, block.line))
                    return
                self.run_.budget -= 1
                address = f"{self.prefix}{rtype}.{name}" + _suffix(key)
                extra = _UNKNOWN_ITERATION if unknown else self.iteration(block, key)
                res = self._resource(block, rtype, address, extra)
                exists = self.cache.get(("instance conditions", (block.block_type, block.labels)), {}).get(key)
                if exists:
                    res.meta.condition_unknown = exists  # the test it exists on, as a CFN condition
                self.run_.out.append(res)
        for name in self.module_blocks:
            for child in self.children(name).values():
                child.run()

    def _resource(self, block: TfBlock, rtype: str, address: str, extra: dict[str, Any]) -> Resource:
        scope = _Scope(self, extra)
        body = {k: v for k, v in block.body.items() if k not in _RESERVED}
        unresolved: list[str] = []
        props = _block_values(body, block.body.get("dynamic"), scope, 0, unresolved)
        origins: dict[str, Origin] = {}
        self._record_origins(body, "", origins, extra, 0)
        self._record_dynamic_origins(block.body.get("dynamic"), "", "", origins, extra, 0)
        provider = _provider_key(block.body.get("provider"))
        region = self.region.get(provider, self.region.get("aws", UNKNOWN))
        meta = ResourceMeta(references=self._references(block), region=region, module=self.prefix.rstrip("."),
                            provider=provider, calls=self.calls)
        if region is UNKNOWN:
            meta.region_source = self.region_source.get(provider, self.region_source.get(
                "aws", "the Region of provider aws (AWS_REGION or the AWS profile)"))
        for each in ("count", "for_each"):  # how many instances there are is decided here too
            origin = chain(self.origins_of(block.body[each], instances=True)) if each in block.body else None
            if origin is not None:
                origins[each] = origin
        if "lifecycle" in block.body:
            meta.lifecycle = _plain(hclexpr.evaluate_value(block.body["lifecycle"], scope))
        meta.unresolved_dynamic = tuple(sorted(set(unresolved)))
        meta.dynamic_blocks, meta.instances_by = block.dynamic_labels, block.instances_by
        return Resource(address=address, type=rtype, source=TERRAFORM, file=block.file, line=block.line,
                        workload=self.run_.workload.id, props=props, lines=dict(block.lines), origins=origins, meta=meta)

    def _record_origins(self, body: dict[str, Any], path: str, out: dict[str, Origin],
                        extra: dict[str, Any], depth: int) -> None:
        """Origins of every attribute (nested blocks too, list indexes left out)."""
        for key, raw in body.items():
            sub = f"{path}.{key}" if path else key
            if isinstance(raw, list) and raw and all(isinstance(item, dict) for item in raw) and depth < 8:
                for item in raw:  # nested blocks
                    self._record_origins({k: v for k, v in item.items() if k != "dynamic"}, sub, out, extra, depth + 1)
                    self._record_dynamic_origins(item.get("dynamic"), sub, sub, out, extra, depth + 1)
                continue
            if sub in out:
                continue
            origin = chain(self.origins_of(raw, extra))
            if origin is not None:
                out[sub] = origin

    def _record_dynamic_origins(self, dynamic: Any, path: str, written: str, out: dict[str, Origin],
                                extra: dict[str, Any], depth: int) -> None:
        """Origins of the blocks ``dynamic "x" { for_each = ...; content {...} }`` makes. A
        content argument reading the iterator (``x.value.port``) was set where the for_each
        collection was; one reading ``each.value`` where the resource's was. Recorded under the
        made blocks' paths (``x.port``, as their values are) and under the dynamic block's
        written path (``dynamic.x``, where its line is: a finding on it is decided there)."""
        if depth >= _MAX_BLOCK_DEPTH:
            return
        for dyn in dynamic if isinstance(dynamic, list) else []:
            for label, spec in dyn.items() if isinstance(dyn, dict) else ():
                content = spec.get("content") if isinstance(spec, dict) else None
                content = content[0] if isinstance(content, list) and content else content
                iterator = _iterator_name(spec, label) if isinstance(spec, dict) else None
                if not isinstance(content, dict) or not isinstance(iterator, str):
                    continue
                collection = self.origins_of(spec.get("for_each"), extra, instances=True)
                scope = {**extra, _ITERATOR_ORIGINS: {**extra.get(_ITERATOR_ORIGINS, {}), iterator: collection}}
                made = f"{path}.{label}" if path else label
                at = f"{written}.dynamic.{label}" if written else f"dynamic.{label}"
                found: dict[str, Origin] = {}
                self._record_origins({k: v for k, v in content.items() if k != "dynamic"}, made, found, scope, depth + 1)
                self._record_dynamic_origins(content.get("dynamic"), made, f"{at}.content", found, scope, depth + 1)
                for sub, origin in found.items():
                    out.setdefault(sub, origin)
                whole = chain([*collection, *(o for o in found.values() if o not in collection)][:MAX_SOURCES])
                if whole is not None:
                    out.setdefault(at, whole)

    def _references(self, block: TfBlock) -> list[tuple[str, str, str | None]]:
        """(attribute, target address, target attribute) for every resource an argument names;
        ``aws_subnet.a[1].id`` names the instance ``[1]``, ``aws_subnet.a[*].id`` all of them."""
        out: list[tuple[str, str, str | None]] = []
        for key, raw in block.body.items():
            if key in ("count", "for_each", "lifecycle", "provider"):
                continue
            for ref in hclexpr.references(raw):
                if len(ref) >= 2 and (ref[0], ref[1]) in self.resource_blocks:
                    instance, rest = _instance_key(self.resource_blocks[(ref[0], ref[1])], ref[2:])
                    target = f"{self.prefix}{ref[0]}.{ref[1]}" + ("" if instance is None else _suffix(instance))
                    attr = next((r for r in rest if isinstance(r, str)), None)
                    out.append((key, target, attr))
        return out

    def _provider_regions(self, parent: "_Instance | None", providers: dict[str, str]) -> dict[str, Any]:
        """Region per provider configuration ("aws", "aws.west"): inherited from the caller
        (through ``providers = {...}`` when given), overridden by this module's own blocks."""
        regions: dict[str, Any] = {}
        if parent is not None:
            regions = {k: v for k, v in parent.region.items() if k == "aws" or not providers}
            self.region_source = {k: v for k, v in parent.region_source.items() if k == "aws" or not providers}
            for child_key, parent_key in providers.items():
                regions[child_key] = parent.region.get(parent_key, UNKNOWN)
                if parent_key in parent.region_source:
                    self.region_source[child_key] = parent.region_source[parent_key]
        self.region = regions  # provider blocks below may read data sources that need it
        for block in self.module.blocks("provider"):
            if not block.labels or block.labels[0] != "aws":
                continue
            alias = block.body.get("alias")
            region = self.evaluate(block.body.get("region", UNKNOWN)) if "region" in block.body else UNKNOWN
            if not isinstance(region, str):
                region = self.run_.settings.region or UNKNOWN
            key = f"aws.{alias}" if isinstance(alias, str) else "aws"
            regions[key] = region
            self.region_source[key] = _region_source(key, block.body.get("region"))
            self._provider_credentials(block, f"aws.{alias}" if isinstance(alias, str) else "aws")
        if "aws" not in regions:
            regions["aws"] = self.run_.settings.region or UNKNOWN
        return regions

    def _provider_credentials(self, block: TfBlock, provider: str) -> None:
        """Credentials written into an aws provider block (read by SC501), kept in the
        workload's metadata under PROVIDER_CREDENTIALS_KEY: file, line, key, provider, value, origin."""
        found = self.run_.workload.metadata.setdefault(PROVIDER_CREDENTIALS_KEY, [])
        for key in ("secret_key", "token"):
            if key in block.body:
                raw = block.body[key]
                entry = {"file": block.file, "line": block.lines.get(key, block.line), "key": key, "provider": provider,
                         "value": _plain(self.evaluate(raw)), "origin": chain(self.origins_of(raw))}
                if entry not in found:
                    found.append(entry)


def _region_source(key: str, raw: Any) -> str:
    """How a message names the Region of provider ``key`` when it is not known: the
    expression that sets it, as written, or where the provider finds it."""
    if raw is None:
        return f"the Region of provider {key} (AWS_REGION or the AWS profile)"
    text = hclexpr.expression_text(raw) or (raw if isinstance(raw, str) else json.dumps(raw))
    return f"the Region of provider {key} (region = {text})"


class _Scope:
    def __init__(self, instance: _Instance, extra: dict[str, Any]) -> None:
        self.instance = instance
        self.extra = extra
        self.build_budget = instance.run_.build_budget  # one for the root module and every module it calls

    def value_too_large(self, expression: str | hclexpr.Source, message: str) -> None:
        """hclexpr refused to build a value (``indent(2000000000, ...)``): it is unknown, and
        said at each place the expression is written."""
        for file, line in _written_at(self.instance.module, expression):
            self.instance.run_.warnings.append(ScanWarning("value-too-large", f"{message}; the value is unknown",
                                                           file, line))

    def expression_unreadable(self, expression: str | hclexpr.Source) -> None:
        """hclexpr could not parse an expression (as written, or a .tf.json string): its value is
        unknown, said once per place it is written, naming the attribute."""
        said = (self.instance.module.directory, expression)
        if said in self.instance.run_.unreadable:
            return  # every instance of the module, every evaluation of the attribute: said once
        self.instance.run_.unreadable.add(said)
        for file, line, name in _written_places(self.instance.module, expression):
            self.instance.run_.warnings.append(ScanWarning(
                "expression-unreadable", f"{name} = {_clipped(expression)}: ha-lint cannot read this expression, "
                "so its value is treated as unknown (findings that depend on it may be missed)", file, line))

    def get(self, name: str, default: Any = UNKNOWN) -> Any:
        if name in self.extra:
            return self.extra[name]
        inst = self.instance
        if name == "var":
            return _Lazy(lambda var: inst.variable(var)[0])
        if name == "local":
            return _Lazy(lambda local: inst.local(local)[0])
        if name == "data":
            return _Lazy(lambda dtype: _Lazy(lambda dname: inst.data_source(dtype, dname)))
        if name == "module":
            return _Lazy(inst.module_value)
        if name == "path":
            return {"module": inst.module.directory, "root": inst.run_.workload.id, "cwd": "."}
        if name == "terraform":
            return {"workspace": "default"}
        if "_" in name:
            return _Lazy(lambda rname: inst.resource_handle(name, rname))
        return default


def _written_at(module: TfModule, expression: str | hclexpr.Source) -> list[tuple[str, int | None]]:
    """The file and line of each argument (or local) written as ``expression``; else the
    module's directory."""
    return [(file, line) for file, line, _ in _written_places(module, expression)]


def _written_places(module: TfModule, expression: str | hclexpr.Source) -> list[tuple[str, int | None, str]]:
    """The file, line and name (``aws_eks_node_group.this tags``, ``local.name``) of each
    argument or local written as ``expression``; else the module's directory and "an expression"."""
    def paths(raw: Any, path: str) -> list[str]:
        if isinstance(raw, (list, dict)):
            items = raw.items() if isinstance(raw, dict) else enumerate(raw)
            return [found for key, item in items for found in paths(item, f"{path}.{key}")]
        return [path] if raw == expression else []

    places = []
    for block in [b for f in module.files for b in f.blocks] + module.locals():
        for key, raw in block.body.items():
            for path in paths(raw, key):
                name = ".".join(step for step in path.split(".") if not step.isdigit())  # dynamic.5.tag -> dynamic.tag
                name = f"local.{name}" if block.block_type == "locals" else f"{_address(block)} {name}"
                while path not in block.lines and "." in path:  # the nearest line python-hcl2 kept
                    path = path.rsplit(".", 1)[0]
                places.append((block.file, block.lines.get(path, block.line), name))
    return places or [(module.directory, None, "an expression")]


def _address(block: TfBlock) -> str:
    """How Terraform names a block: ``aws_s3_bucket.logs``, ``data.aws_iam_policy_document.x``,
    ``module.db``, ``output.url``, ``provider aws``."""
    if block.block_type == "resource":
        return ".".join(block.labels)
    if block.block_type == "provider":
        return " ".join((block.block_type, *block.labels))
    return ".".join((block.block_type, *block.labels))


def _clipped(expression: str | hclexpr.Source, limit: int = 80) -> str:
    """An expression on one line, at most ``limit`` characters."""
    text = " ".join(str(expression).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


class _EmptyScope:
    def get(self, name: str, default: Any = UNKNOWN) -> Any:
        return default


_EMPTY = _EmptyScope()


def _plain(value: Any) -> Any:
    """A value as a resource property keeps it: resource handles become ``Ref``s, lazy
    objects (a whole ``module.x`` or ``var``) unknown."""
    return map_leaves(value, _plain_leaf)


def _plain_leaf(value: Any) -> Any:
    if isinstance(value, _Handle):
        return Ref(value.address)
    if isinstance(value, _Lazy):
        return UNKNOWN
    return value


def _instance_key(block: TfBlock, rest: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
    """Split ``(1, "id")`` / ``("a", "id")`` after a resource name into the instance key (None
    when the reference names no single instance) and the attribute path."""
    if rest and "count" in block.body and isinstance(rest[0], int) and not isinstance(rest[0], bool):
        return rest[0], rest[1:]
    if rest and "for_each" in block.body and isinstance(rest[0], str):
        return rest[0], rest[1:]
    return None, rest


def _variable_read(raw: Any) -> str | None:
    """``v`` when a ``for_each`` iterates over variable ``v`` keeping its keys and values:
    ``var.v``, ``{ for k, x in var.v : k => x if ... }`` (a filter only drops items), or
    either as the one non-empty branch of a conditional (``var.create ? var.v : {}``)."""
    text = hclexpr.expression_text(raw)
    try:
        node = hclexpr.parse(text) if text else None
    except hclexpr.HclExprError:
        return None
    if isinstance(node, hclexpr.Conditional):
        empty = (hclexpr.ObjectExpr(()), hclexpr.TupleExpr(()))
        kept = [branch for branch in (node.true, node.false) if branch not in empty]
        node = kept[0] if len(kept) == 1 else None
    if isinstance(node, hclexpr.ForExpr) and node.key is not None and not node.group \
            and node.key == hclexpr.Var(node.key_var) and node.value == hclexpr.Var(node.value_var):
        node = node.collection
    if isinstance(node, hclexpr.Traversal) and node.source == hclexpr.Var("var") and len(node.steps) == 1 \
            and node.steps[0][0] == "attr":
        return node.steps[0][1]
    return None


def _suffix(key: Any) -> str:
    """An instance's key in its address, as Terraform writes it: ``[0]``, ``["a"]``."""
    return "" if key is None else (f"[{key}]" if isinstance(key, int) else f"[{_quoted(str(key))}]")


def _quoted(text: str) -> str:
    """``text`` as an HCL quoted string, escaped as Terraform escapes an instance key in an
    address (a new line as ``\\n``, another character that does not print as ``\\u001b``, a
    template's ``${`` doubled), so that a plan's addresses and ours agree."""
    out = ['"']
    for index, char in enumerate(text):
        if char in _ESCAPED:
            out.append(_ESCAPED[char])
        elif char in "$%" and text.startswith("{", index + 1):
            out.append(char * 2)
        elif not char.isprintable():
            out.append(f"\\u{ord(char):04x}" if ord(char) < 0x10000 else f"\\U{ord(char):08x}")
        else:
            out.append(char)
    return "".join(out) + '"'


_ESCAPED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}


def is_local_source(source: str) -> bool:
    """A module source that is a path relative to the calling module (``./x``, ``../x``, ``.``, ``..``)."""
    return source.startswith(("./", "../")) or source in (".", "..")


def _not_installed(source: str, version: Any) -> str:
    """Why a remote module call is not read, and the two ways to have it read."""
    pinned = f" version {version!r}" if isinstance(version, str) else ""
    return (f"source {source!r}{pinned} is not available here (no .terraform/modules entry): its resources are "
            "not checked; run `terraform init`, or pass --download-modules to let ha-lint fetch it")


def _provider_key(raw: Any) -> str:
    """``aws.west`` (as written, or ``"${aws.west}"`` / ``"aws.west"`` from .tf.json) -> ``aws.west``;
    anything else is the default ``aws``."""
    text = hclexpr.expression_text(raw) or (raw.strip() if isinstance(raw, str) else "")
    return text or "aws"


_MAX_BLOCK_DEPTH = 8


def _block_values(body: dict[str, Any], dynamic: Any, scope: _Scope, depth: int,
                  unresolved: list[str] | None = None) -> dict[str, Any]:
    """A block's arguments and nested blocks evaluated, ``dynamic`` blocks expanded (inside
    nested blocks and other dynamic blocks' ``content`` too). ``unresolved`` collects the
    labels of the block's own dynamic blocks whose ``for_each`` is unknown (on some branch):
    the blocks they add are unknown, while the static ones of the label are known."""
    props: dict[str, Any] = {}
    for key, raw in body.items():
        if key == "dynamic" and depth > 0:
            continue
        nested = isinstance(raw, list) and raw and all(isinstance(item, dict) for item in raw) \
            and any("dynamic" in item for item in raw) and depth < _MAX_BLOCK_DEPTH
        if nested:
            props[key] = [_block_values(item, item.get("dynamic"), scope, depth + 1) for item in raw]
        else:
            props[key] = _plain(hclexpr.evaluate_value(raw, scope))
    for index, dyn in enumerate(dynamic if isinstance(dynamic, list) else []):
        _expand_dynamic(dyn, props, scope, depth, index, unresolved)
    return props


def _expand_dynamic(dynamic: Any, props: dict[str, Any], scope: _Scope, depth: int = 0, index: int = 0,
                    unresolved: list[str] | None = None) -> None:
    """``dynamic "ingress" { for_each = ...; content {...} }`` -> ``ingress`` blocks (a
    resource's own: ``DynamicBlock``s that remember ``index``, for their line)."""
    if not isinstance(dynamic, dict) or depth >= _MAX_BLOCK_DEPTH:
        return
    for label, spec in dynamic.items():
        if not isinstance(spec, dict):
            continue
        items = hclexpr.evaluate_value(spec.get("for_each", UNKNOWN), scope)
        if unresolved is not None and any(not isinstance(v, (list, dict)) for v in
                                          ([v for _, v in items.branches] if isinstance(items, Choice) else [items])):
            unresolved.append(label)
        iterator = _iterator_name(spec, label)
        content = spec.get("content")
        content = content[0] if isinstance(content, list) and content else content
        if not isinstance(content, dict) or not isinstance(iterator, str):
            continue

        def expand(collection: Any) -> Any:
            if isinstance(collection, dict):
                pairs = list(collection.items())
            elif isinstance(collection, list):
                pairs = list(enumerate(collection))
            else:
                return UNKNOWN  # an unknown collection: these blocks are unknown, not absent
            blocks = [_block_values(content, content.get("dynamic"),
                                    _Scope(scope.instance, {**scope.extra, iterator: {"key": key, "value": value}}),
                                    depth + 1)
                      for key, value in pairs[:MAX_INSTANCES]]
            return [DynamicBlock(b, index) for b in blocks] if depth == 0 else blocks

        existing = props.get(label)
        if isinstance(items, Choice):  # for_each = var.on ? [1] : []: the blocks of each branch
            props[label] = Choice(tuple((branch, _with_blocks(existing, expand(value)))
                                        for branch, value in items.branches))
        else:
            props[label] = _with_blocks(existing, expand(items))


def _iterator_name(spec: dict[str, Any], label: str) -> Any:
    """The name a dynamic block's content reads its element by: ``iterator = rule`` or the label."""
    iterator = spec.get("iterator", label)
    return hclexpr.expression_text(iterator) or iterator


# Arguments of data "aws_availability_zones" that make its list differ from the region's.
_AZ_FILTERS = ("exclude_names", "exclude_zone_ids", "filter", "all_availability_zones")


def _existence(labels: list[str], branches: int) -> str | None:
    """The test an instance of a conditional ``count`` exists on: None on every branch; the
    ternary's test (``var.create``, or ``!var.create`` for its false branch) on one."""
    if len(labels) == branches:
        return None
    if len(labels) == 1:
        for suffix, negate in ((" ? (true branch)", ""), (" ? (false branch)", "!")):
            if labels[0].endswith(suffix):
                return negate + labels[0][:-len(suffix)]
    return " or ".join(labels) if labels else "never"


def _with_blocks(existing: Any, blocks: Any) -> Any:
    """Static blocks of one type followed by the blocks a dynamic block adds. When those are
    unknown, the static ones are all that is known (none: the property is unknown)."""
    if existing is None or existing == []:
        return blocks
    if not isinstance(existing, list):
        return UNKNOWN
    return existing if blocks is UNKNOWN else existing + blocks


_UNKNOWN_INSIDE = "\0unknown\0"  # what json.dumps writes for an unknown part, replaced after


def _shown_inside(value: Any) -> Any:
    if value is UNKNOWN:
        return _UNKNOWN_INSIDE
    return value.address if isinstance(value, (_Handle, Ref)) else str(value)


def show(value: Any, limit: int = 40) -> str:
    """A value as Terraform would write it (a long collection as ``{...}``)."""
    if value is UNKNOWN:
        return "(known after apply)"
    if isinstance(value, Choice):
        return "one of several values"
    if isinstance(value, (_Handle, Ref)):
        return value.address
    try:
        text = json.dumps(value, default=_shown_inside)
    except (TypeError, ValueError):
        text = repr(value)
    # An unknown part is shown as Terraform's plan shows it, not as the marker's name.
    text = text.replace(json.dumps(_UNKNOWN_INSIDE), "(known after apply)")
    if len(text) <= limit:
        return text
    return "{...}" if isinstance(value, dict) else "[...]" if isinstance(value, list) else text[:limit - 3] + "..."


def read_tfvars(module: TfModule, settings: TfSettings, parse_file: Callable[[Path], dict[str, Any] | None]) -> dict[str, tuple[Any, Origin]]:
    """Variable values for a root module, lowest precedence first, as Terraform applies them."""
    values: dict[str, tuple[Any, Origin]] = {}
    for name, text in settings.environ.items():
        if name.startswith("TF_VAR_"):
            values[name[7:]] = (_literal(text), Origin(f"environment variable {name}={text!r}"))
    files = [*tfinputs.own_tfvars_paths(module), *settings.var_files]
    for path in files:
        if not path.is_file():
            continue
        shown = str(path) if path in settings.var_files else os.path.join(module.directory, path.name)
        parsed = parse_file(path)  # .tfvars or .tfvars.json: loaders.terraform.load_tfvars
        for name, (raw, line) in (parsed or {}).items():
            value = hclexpr.evaluate_value(raw, _EMPTY)
            values[name] = (value, Origin(f"{path.name} sets {name} = {show(value)}", shown, line))
    for name, text in settings.variables.items():
        values[name] = (_literal(text), Origin(f"--var {name}={text}"))
    return values


def _literal(text: str) -> Any:
    """A -var / TF_VAR_ value: HCL literal syntax when it parses, else the raw string."""
    value = hclexpr.evaluate_value("${" + text + "}", _EMPTY) if text.strip() else text
    return text if value is UNKNOWN else value


def _installed_modules(root: Path) -> dict[str, Path]:
    """``.terraform/modules/modules.json`` (written by ``terraform init``): module key -> directory."""
    out: dict[str, Path] = {}
    for entry in _manifest_entries(root):
        if isinstance(entry.get("Dir"), str):
            out[entry["Key"]] = root / entry["Dir"]
    return out


def _installed_versions(root: Path) -> dict[str, str]:
    """The version ``terraform init`` installed for each registry module call, by module key."""
    return {entry["Key"]: entry["Version"] for entry in _manifest_entries(root)
            if isinstance(entry.get("Version"), str) and entry["Version"]}


def _manifest_entries(root: Path) -> list[dict[str, Any]]:
    """The entries of ``.terraform/modules/modules.json`` that name a module key."""
    manifest = root / ".terraform" / "modules" / "modules.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8")) if manifest.is_file() else {}  # never a pipe
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return []
    entries = data.get("Modules", []) if isinstance(data, dict) else []
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get("Key"), str) and e["Key"]]


def _number_text(value: str | int | float) -> str:
    """A for_each set member as the string Terraform keyed it by: 22 -> "22", 1.5 -> "1.5"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
