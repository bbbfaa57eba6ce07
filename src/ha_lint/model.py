"""The provider-neutral model: resources, workloads, findings and load errors.

A ``Resource`` keeps its native properties (resolved) and answers questions in the one
vocabulary of ``ha_lint.kinds``: ``db.get("multi_az")`` works the same whether ``db`` came
from ``AWS::RDS::DBInstance`` or ``aws_db_instance``.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from ha_lint import kinds
from ha_lint.values import UNKNOWN, Choice, DynamicBlock, Origin, Value

CLOUDFORMATION = "cloudformation"
TERRAFORM = "terraform"

SEVERITIES = ("high", "medium", "low", "info")
SEVERITY_RANK = {name: rank for rank, name in enumerate(reversed(SEVERITIES))}  # info=0 .. high=3


@dataclass(frozen=True)
class LoadError:
    """A file that could not be loaded: one per file, naming the line when known."""

    file: str
    message: str
    line: int | None = None


@dataclass(frozen=True)
class ScanWarning:
    """Something ha-lint could not read or resolve, said to the user (never silent). Part of
    the JSON contract: ``{"code", "file", "line", "message"}``; ``file``/``line`` are None
    when there is none. A warning never changes the exit code.

    Codes in use: ``module-not-found``, ``input-unknown``, ``variable-unset``,
    ``reference-outside-root``, ``cache-refused``, ``nested-stack``, ``import-unresolved``,
    ``parameter-unknown``, ``parameter-unset``, ``resource-limit``, ``value-too-large``, ``expression-unreadable``, ``foreach-unknown``,
    ``module-cycle``, ``module-file-not-loaded``, ``baseline-stale``, ``context-not-loaded``,
    ``plan-without-source``, ``plan-source-mismatch``, ``terragrunt-include``, ``terragrunt-inputs``,
    ``terragrunt-dependency``, ``template-skipped``, ``note`` (anything else).
    """

    code: str
    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        if self.file:
            where = f"{self.file}:{self.line}" if self.line else self.file
            return f"{where}: {self.message}"
        return self.message


def as_warning(item: "ScanWarning | str") -> ScanWarning:
    """A warning from the older plain-string form (code ``note``, no location)."""
    return item if isinstance(item, ScanWarning) else ScanWarning("note", str(item))


@dataclass(frozen=True)
class Related:
    """Another place a finding concerns (SARIF ``relatedLocations``; JSON ``related``)."""

    file: str
    line: int
    message: str


@dataclass(frozen=True)
class Finding:
    rule_id: str
    rule_name: str
    severity: str
    message: str
    file: str  # where it is reported: for a module's resource, possibly the caller's file
    line: int
    resource: str
    resource_type: str
    # What is wrong, stable across line moves (e.g. "multi_az"): part of the finding's identity.
    detail: str = ""
    related: tuple[Related, ...] = ()
    # The root module whose call made the resource (a child module's resource only; "" otherwise).
    root: str = ""
    # The file that defines the resource, when the finding is reported elsewhere (at the call).
    defined_in: str = ""
    # How the value the finding judges was decided, source first, each step with its file and
    # line (``ha_lint.trace``): JSON ``trace``, SARIF ``relatedLocations``. Not part of equality.
    trace: tuple[Origin, ...] = field(default=(), compare=False)

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """Rule, defining file, resource, detail: never the reported file or line, so a
        finding moved to its module call keeps the identity it had."""
        return (self.rule_id, self.defined_in or self.file, self.resource, self.detail)


@dataclass(frozen=True)
class ModuleCall:
    """One call on the way from a root to a child module's resource (outermost first):
    a Terraform ``module`` block, or any other place that gives a module its inputs."""

    address: str  # the instance it makes: "module.db", "module.app.module.db[0]"
    source: str
    version: str  # installed version, else the constraint; "" for local sources
    file: str  # where the call is written
    line: int
    external: bool  # the called code is outside the repository (registry, git, under .terraform/)

    def describe(self) -> str:
        if not self.external or not self.source:
            return self.address
        return f"{self.address} ({self.source}{' ' + self.version if self.version else ''})"


@dataclass(frozen=True)
class Workload:
    """A CloudFormation stack (one template) or a Terraform root module."""

    id: str
    source: str
    entry_file: str  # the template, or the root module's main.tf (else its first file)
    metadata: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Application:
    """Stacks deployed as one application (connected by ``Fn::ImportValue``, nesting or one CDK
    app): one workload for the resilience model and DR306/DR307. Kept in the metadata of each
    member workload (``Workload.metadata[APPLICATION_KEY]``)."""

    id: str
    members: tuple[str, ...]  # Workload ids, the first stack first
    names: tuple[str, ...]  # the members' stack names (or templates), in the same order

    @property
    def label(self) -> str:
        shown = ", ".join(self.names[:8]) + (f" and {len(self.names) - 8} more" if len(self.names) > 8 else "")
        return f"application of stacks {shown}"


APPLICATION_KEY = "_ha_lint_application"


@dataclass(frozen=True)
class NestedStack:
    """What a stack resource says about the template it nests (``ResourceMeta.nested_stack``)."""

    template: str  # path on disk ("" when remote)
    url: str  # as written
    line: int
    parameters: tuple[tuple[str, Any, Origin | None], ...]
    remote: bool = False  # an S3/HTTPS TemplateURL with no local copy found: not judged, a warning says so


@dataclass
class ResourceMeta:
    """What is known of a resource besides its properties: where it is deployed, what it
    names, whether it exists, how it is deleted. The resolvers fill it (``resolve.cloudformation``,
    ``resolve.terraform``, ``resolve.tfplan``), ``stacks`` adds what it learns later (the stack
    that nests a template, per-AZ groups); a field the source language has no word for keeps
    its default. Rules read it as ``res.meta.region``; most want a query that reads it for
    them (``queries.aws.region_of``, ``queries.az.condition_unknown``...)."""

    # -- both languages
    region: Any = UNKNOWN  # the Region it is deployed in: a name, else UNKNOWN
    # (property path, target address, target attribute or None) for every resource a property
    # names (CloudFormation also ("DependsOn", target, None)): the graph's edges.
    references: list[tuple[str, str, str | None]] = field(default_factory=list)
    # The undecided test it exists on: a CloudFormation condition name, or a Terraform
    # conditional count's test (``var.create``, ``!var.create``). None: it always exists.
    condition_unknown: str | None = None

    # -- CloudFormation
    deletion_policy: Any = None  # DeletionPolicy, resolved (a string, a Choice, UNKNOWN); None: not written
    update_replace_policy: Any = None  # UpdateReplacePolicy, the same way
    # The line of each of those attributes as written ("DeletionPolicy": 12).
    attribute_lines: dict[str, int] = field(default_factory=dict)
    condition: str | None = None  # the Condition attribute as written (whether decided or not)
    metadata: Any = None  # the Metadata attribute as written (suppression comments, CDK paths)
    parameter_refs: list[tuple[str, str]] = field(default_factory=list)  # (property path, parameter) it refers to
    nested_stack: NestedStack | None = None  # a stack resource: the template it nests
    nested_in: str | None = None  # a resource of a nested template: the ``uid`` of the stack resource nesting it
    # Per-AZ stacks (``stacks``): (workload, address) of the same resource in every stack of its group.
    az_replicas: tuple[tuple[str, str], ...] = ()

    # -- Terraform
    module: str = ""  # the module instance that makes it ("module.app.module.db"); "" in the root module
    provider: str | None = None  # its provider configuration ("aws", "aws.west")
    region_source: str = ""  # when the Region is unknown: where it comes from, for messages
    calls: tuple[ModuleCall, ...] = ()  # the module calls from the root to it, outermost first
    lifecycle: Any = None  # the lifecycle block's values
    unresolved_dynamic: tuple[str, ...] = ()  # labels of its dynamic blocks whose for_each is unknown
    # Labels of its own ``dynamic "<label>"`` blocks as written, whatever their for_each gives
    # (a plan's resource: those of its resource block, when the configuration is found).
    dynamic_blocks: tuple[str, ...] = ()
    # The meta-argument its block makes instances with: "count", "for_each"; None: one instance.
    instances_by: str | None = None
    # From a plan: attribute paths the configuration computes (a variable, a function), not literals.
    computed_paths: tuple[str, ...] = ()

    def get(self, key: str, default: Any = None) -> Any:
        """Deprecated: the dict this record replaced, for rule packs written against it
        (``meta.get("region")``, ``meta.get("DeletionPolicy")``). A field at its default
        reads as absent. Read the fields."""
        name = _META_KEYS.get(key, key)
        known = {f.name: f for f in fields(self)}
        if name not in known:
            return default
        value, spec = getattr(self, name), known[name]
        unset = spec.default_factory() if spec.default_factory is not MISSING else spec.default
        return default if value is unset or value == unset else value


_META_KEYS = {"DeletionPolicy": "deletion_policy", "UpdateReplacePolicy": "update_replace_policy",
              "Metadata": "metadata", "Condition": "condition"}  # the dict's keys that were spelled as written


@dataclass(frozen=True, eq=False)
class Resource:
    address: str  # CFN logical ID, or Terraform address with module path and instance key
    type: str  # native type: AWS::RDS::DBInstance, aws_db_instance
    source: str  # CLOUDFORMATION or TERRAFORM
    file: str
    line: int
    workload: str  # Workload.id
    props: dict[str, Any]  # resolved native properties
    lines: dict[str, int] = field(default_factory=dict)  # native property path -> line
    origins: dict[str, Origin] = field(default_factory=dict)  # native path -> where it came from
    meta: ResourceMeta = field(default_factory=ResourceMeta)  # Region, references, DeletionPolicy, module...

    @property
    def uid(self) -> str:
        """Unique across the scanned set (logical IDs repeat across templates)."""
        return f"{self.workload}#{self.address}"

    @property
    def kind(self) -> str:
        return kinds.kind_of(self.type)

    # -- properties in the neutral vocabulary -------------------------------------------

    def native_path(self, name: str) -> str | None:
        return kinds.native_path(self.type, name)

    def has(self, name: str) -> bool:
        path = self.native_path(name)
        return path is not None and bool(self._written(name, path))

    def _written(self, name: str, path: str) -> list[Any]:
        """The values at native ``path``; an empty string is left out (or a ``Choice`` branch
        holding one is None) where the kinds table says it means "not set"."""
        found = _walk(self.props, path.split("."))
        if found and kinds.blank_is_unset(self.type, name):
            found = [v for v in map(_blank_as_none, found) if v is not None]
        return found

    def get(self, name: str, default: Any = None) -> Value:
        """The property ``name``; when absent, the provider's default from the kinds table
        (or ``default``), with ``present=False`` and the resource's own line."""
        path = self.native_path(name)
        found = self._written(name, path) if path else []
        table_default = kinds.default_of(self.type, name)
        if found:
            value = found[0]
            if isinstance(value, Choice):  # a branch that leaves it out (null) has the default
                fill = default if table_default is None else table_default
                value = Choice(tuple((label, fill if v is None else v) for label, v in value.branches))
            return Value(value, self.line_of(name), True, self.origins.get(path or ""))
        return Value(default if table_default is None else table_default, self.line, False)

    def all(self, name: str) -> list[Any]:
        """Every value at ``name`` across repeated blocks (TF ``ingress {}`` x N), flattened."""
        path = self.native_path(name)
        if not path:
            return []
        out: list[Any] = []
        for item in _walk(self.props, path.split(".")):
            out.extend(item if isinstance(item, list) else [item])
        return out

    def raw(self, path: str) -> Any:
        """A native property by its own path (for the few rules that need one type's quirk)."""
        found = _walk(self.props, path.split("."))
        return found[0] if found else None

    def line_of(self, name: str | None, native: bool = False) -> int:
        """The line of a property (the resource's own line when ``name`` is None): ``name`` in
        the neutral vocabulary (or, with ``native``,
        the resource's own path), in every form the loaders record a line under: as written
        (``a.b``), inside the first of repeated Terraform blocks (``a.0.b``), inside the
        content of a ``dynamic "a"`` block (``dynamic.N.a.content.0.b``, else the dynamic
        block's own line); else the line of its nearest written parent; else the resource's."""
        if not name:
            return self.line
        path = name if native else self.native_path(name) or name
        lines = self.lines
        if path in lines:
            return lines[path]
        parts = path.split(".")
        walked: list[str] = []
        for index, part in enumerate(parts):
            walked.append(part)
            if index < len(parts) - 1 and ".".join(walked + ["0"]) in lines:
                walked.append("0")
        if ".".join(walked) in lines:
            return lines[".".join(walked)]
        if parts[0] not in lines:
            rest = ".".join(parts[1:])
            for key, line in lines.items():
                if key.startswith("dynamic.") and key.split(".")[2:] == parts[:1]:
                    return lines.get(f"{key}.content.0.{rest}", line) if rest else line
        while path:
            if path in lines:
                return lines[path]
            path = path.rpartition(".")[0]
        return self.line

    def entry_line(self, name: str, index: int, *within: str | int, entry: Any = None,
                   branch: str | None = None, list_branch: str | None = None, native: bool = False) -> int | None:
        """The line of the ``index``-th entry of the list property ``name`` (a CloudFormation
        list item, the ``index``-th of repeated Terraform blocks), or of what ``within`` names
        inside it: field names and list indexes, ``entry_line("rules", 0, "copy_action", 1,
        "destination_vault_arn")``. None when it has no line of its own (a list a parameter or
        variable gives): the caller falls back, usually to ``line_of(name)``.

        A field of ``within`` that is not written gives the line of its nearest written parent,
        no further out than the innermost entry on the way (``copy_action`` 1 above). For the
        entry itself, most specific first: the arm of a CloudFormation ``!If`` the entry is written as (its
        ``branch`` label, ``condition C true``), the arm of a list-level ``!If`` holding it
        (``list_branch``), the ``dynamic`` block that made a Terraform ``entry``
        (``DynamicBlock``), the entry as written."""
        path = name if native else self.native_path(name) or name
        lines = self.lines
        prefix = f"{path}.{index}"
        last = max((i for i, step in enumerate(within) if isinstance(step, int)), default=-1)
        for end in range(len(within), max(last, 0), -1):  # the field, else its nearest written parent
            found = lines.get(".".join([prefix, *map(str, within[:end])]))
            if found is not None:
                return found
        if last >= 0:
            return None
        arm, list_arm = _if_arm(branch), _if_arm(list_branch)
        for key in (f"{prefix}.Fn::If.{arm}" if arm else None, f"{path}.Fn::If.{list_arm}.{index}" if list_arm else None,
                    f"dynamic.{entry.dynamic_index}.{path}" if isinstance(entry, DynamicBlock) else None, prefix):
            if key is not None and key in lines:
                return lines[key]
        return None


def _if_arm(branch: str | None) -> int | None:
    """1 or 2: the arm of a CloudFormation ``Fn::If`` a one-condition branch label names
    (``condition IsProd true`` / ``... false``, as ``resolve.cloudformation`` labels them)."""
    if branch and branch.startswith("condition ") and branch.count(" ") == 2:
        return 1 if branch.endswith(" true") else 2
    return None


def _blank_as_none(value: Any) -> Any:
    if isinstance(value, Choice):
        branches = tuple((label, None if v == "" else v) for label, v in value.branches)
        return None if all(v is None for _, v in branches) else Choice(branches)
    return None if value == "" else value


def _walk(value: Any, parts: list[str]) -> list[Any]:
    """Values at a dotted path; lists of blocks fan out (TF nested blocks are lists). Inside
    an unknown block the value is unknown; inside a ``Choice`` it is a ``Choice`` of what
    each branch holds there (None where a branch does not set it)."""
    if not parts:
        return [] if value is None else [value]
    if value is UNKNOWN:
        return [UNKNOWN]
    if isinstance(value, Choice):
        branches = [(label, (found[0] if len(found) == 1 else found) if found else None)
                    for label, branch in value.branches for found in [_walk(branch, parts)]]
        return [] if all(v is None for _, v in branches) else [Choice(tuple(branches))]
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            out.extend(_walk(item, parts))
        return out
    if isinstance(value, dict) and parts[0] in value:
        return _walk(value[parts[0]], parts[1:])
    return []
