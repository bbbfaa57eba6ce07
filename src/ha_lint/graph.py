"""The resource graph: one node per resource, one edge per reference.

Edges go from the resource that holds a reference to the resource it names, labelled with
the native property path that holds it (``SubnetIds``, ``vpc_zone_identifier``,
``DependsOn``). Rules ask questions of ``Architecture``; domain questions ("which AZs does
this span?") live in ``ha_lint.queries`` and are built on the methods here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, TypeVar

from ha_lint.model import Resource, Workload
from ha_lint.values import Ref, refs_in

if TYPE_CHECKING:
    import networkx as nx

T = TypeVar("T")


@dataclass
class Options:
    """Rule options (config file / CLI); rules read what they need."""

    min_backup_retention_days: int = 7
    account_concurrency_limit: int = 1000
    dr_strategy: str | None = None  # declared target: backup-restore, pilot-light, warm-standby, multi-site
    rto_minutes: float | None = None
    rpo_minutes: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Architecture:
    """Everything loaded in one run, as a graph."""

    def __init__(self, workloads: Iterable[Workload], resources: Iterable[Resource], options: Options | None = None) -> None:
        self.options = options or Options()
        self.workloads: dict[str, Workload] = {w.id: w for w in workloads}
        self.resources: list[Resource] = list(resources)
        # Adjacency kept here (target/source uid -> edge data, in insertion order, like
        # networkx's); the networkx graph is built on first use of ``graph``, so a scan whose
        # rules never ask for it does not pay networkx's import (~0.15 s).
        self._out: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self._in: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self._nx: nx.MultiDiGraph | None = None
        self._by_uid: dict[str, Resource] = {}
        self._by_kind: dict[str, list[Resource]] = defaultdict(list)
        self._by_address: dict[tuple[str, str], list[Resource]] = defaultdict(list)
        self._position: dict[str, int] = {}
        for res in self.resources:
            self._position[res.uid] = len(self._position)
            self._by_uid[res.uid] = res
            self._by_kind[res.kind].append(res)
            self._by_address[(res.workload, res.address)].append(res)
            base = res.address.split("[", 1)[0] if res.address.endswith("]") else None
            if base:
                self._by_address[(res.workload, base)].append(res)
            self._out[res.uid] = {}
            self._in[res.uid] = {}
        for res in self.resources:
            self._link(res)
        self._derived: dict[str, Any] = {}

    def derived(self, key: str, build: Callable[[], T]) -> T:
        """An index over the whole architecture that a query builds once per scan (so asking
        it for every resource stays linear), e.g. replicas by the ARN of their source."""
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]

    def _link(self, res: Resource) -> None:
        seen: set[tuple[str, str]] = set()
        found = [(path, ref.address, ref.attribute, ref.workload or res.workload)
                 for path, ref in _refs_with_paths(res.props, "")]
        found += [(path, address, attribute, res.workload) for path, address, attribute in res.meta.references]
        for path, address, attribute, workload in found:
            for target in self.lookup(workload, address):
                if target is not res and (target.uid, path) not in seen:
                    seen.add((target.uid, path))
                    data = {"prop": path, "attribute": attribute}
                    self._out[res.uid].setdefault(target.uid, []).append(data)
                    self._in[target.uid].setdefault(res.uid, []).append(data)

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The architecture as a networkx MultiDiGraph (node = ``res.uid`` with attribute
        ``resource``; edge attributes ``prop`` and ``attribute``), built on first use."""
        if self._nx is None:
            import networkx as nx

            graph = nx.MultiDiGraph()
            for res in self.resources:
                graph.add_node(res.uid, resource=res)
            for source, targets in self._out.items():
                for target, edges in targets.items():
                    for data in edges:
                        graph.add_edge(source, target, **data)
            self._nx = graph
        return self._nx

    def out_edges(self, res: Resource) -> Iterator[tuple[Resource, dict[str, Any]]]:
        """(target, edge data) for every reference ``res`` holds (like ``graph.out_edges``)."""
        for target_uid, edges in self._out.get(res.uid, {}).items():
            for data in edges:
                yield self._by_uid[target_uid], data

    def in_edges(self, res: Resource) -> Iterator[tuple[Resource, dict[str, Any]]]:
        """(source, edge data) for every reference to ``res``."""
        for source_uid, edges in self._in.get(res.uid, {}).items():
            for data in edges:
                yield self._by_uid[source_uid], data

    # -- finding resources ---------------------------------------------------------------

    def lookup(self, workload: str, address: str) -> list[Resource]:
        """Resources at an address (``aws_subnet.b`` finds every instance of it)."""
        return self._by_address.get((workload, address), [])

    def resolve_ref(self, owner: Resource, value: Any) -> Resource | None:
        """The resource a resolved value points at (a ``Ref``), if exactly one."""
        if isinstance(value, Ref):
            found = self.lookup(value.workload or owner.workload, value.address)
            return found[0] if len(found) == 1 else None
        return None

    def of_kind(self, *names: str) -> Iterator[Resource]:
        for name in names:
            yield from self._by_kind.get(name, ())

    def in_workload(self, workload_id: str) -> list[Resource]:
        """The workload's resources, in scan order (an index built once per scan; do not mutate)."""
        return self.derived("resources by workload", self._by_workload).get(workload_id, [])

    def named(self, kind: str, workload_id: str, name: str) -> list[Resource]:
        """The resources of ``kind`` in the workload whose ``name`` property is ``name``, in
        scan order (an index built once per scan and kind)."""
        def build() -> dict[tuple[str, str], list[Resource]]:
            out: dict[tuple[str, str], list[Resource]] = {}
            for res in self.of_kind(kind):
                value = res.get("name").value
                if isinstance(value, str):
                    out.setdefault((res.workload, value), []).append(res)
            return out
        return self.derived(f"{kind} by workload and name", build).get((workload_id, name), [])

    def _by_workload(self) -> dict[str, list[Resource]]:
        out: dict[str, list[Resource]] = {}
        for res in self.resources:
            out.setdefault(res.workload, []).append(res)
        return out

    # -- following references ------------------------------------------------------------

    def targets(self, res: Resource, name: str | None = None, kind: str | None = None) -> list[Resource]:
        """Resources ``res`` references, through the neutral property ``name`` if given."""
        path = res.native_path(name) if name else None
        if name and not path:
            return []
        out: dict[str, Resource] = {}
        for target, data in self.out_edges(res):
            if path is not None and not _under(data["prop"], path):
                continue
            if kind is None or target.kind == kind:
                out.setdefault(target.uid, target)
        return list(out.values())

    def referencing(self, targets: Resource | Iterable[Resource], *kinds: str) -> list[Resource]:
        """The resources of ``kinds`` with a reference that may resolve to one of ``targets``,
        in ``of_kind(*kinds)`` order: the only ones a query that scans ``of_kind(*kinds)`` for
        references to them needs to look at (so asking for every target stays linear)."""
        index = self.derived("sources by target and kind", self._sources_by_kind)
        group = [targets] if isinstance(targets, Resource) else list(targets)
        if len(group) == 1:
            by_kind = index.get(group[0].uid, {})
            return [s for kind in dict.fromkeys(kinds) for s in by_kind.get(kind, ())]
        found = {s.uid: s for target in group for kind in kinds for s in index.get(target.uid, {}).get(kind, ())}
        order = {kind: i for i, kind in reversed(list(enumerate(kinds)))}
        return sorted(found.values(), key=lambda s: (order[s.kind], self._position[s.uid]))

    def _sources_by_kind(self) -> dict[str, dict[str, list[Resource]]]:
        out: dict[str, dict[str, list[Resource]]] = {}
        for target_uid, sources in self._in.items():
            if sources:
                by_kind = out[target_uid] = {}
                for source_uid in sources:  # in link order, which is scan order
                    source = self._by_uid[source_uid]
                    by_kind.setdefault(source.kind, []).append(source)
        return out

    def sources(self, res: Resource, kind: str | None = None, name: str | None = None) -> list[Resource]:
        """Resources that reference ``res`` (of ``kind``, through neutral property ``name``)."""
        if kind is not None:  # only the sources of that kind, from the index
            edges = self._in.get(res.uid, {})
            candidates = self.derived("sources by target and kind", self._sources_by_kind).get(res.uid, {}).get(kind, ())
            pairs: Iterable[tuple[Resource, dict[str, Any]]] = (
                (source, data) for source in candidates for data in edges[source.uid])
        else:
            pairs = self.in_edges(res)
        out: dict[str, Resource] = {}
        for source, data in pairs:
            if name is not None:
                path = source.native_path(name)
                if not path or not _under(data["prop"], path):
                    continue
            out.setdefault(source.uid, source)
        return list(out.values())


def _under(prop: str, path: str) -> bool:
    return prop == path or prop.startswith(path + ".")


def _refs_with_paths(value: Any, path: str) -> Iterator[tuple[str, Ref]]:
    """(property path without list indexes, Ref) for every reference in a resolved value."""
    if isinstance(value, Ref):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _refs_with_paths(item, f"{path}.{key}" if path else key)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _refs_with_paths(item, path)
    else:
        for ref in refs_in(value):  # branches of a Choice
            yield path, ref
