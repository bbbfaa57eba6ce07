"""Questions about how a resource is deployed across CloudFormation stacks (``ha_lint.stacks``)."""

from __future__ import annotations

from ha_lint.graph import Architecture
from ha_lint.model import Resource


def az_replicas(arch: Architecture, res: Resource) -> list[Resource]:
    """The same resource in every stack of its per-AZ group (stacks of one template whose values
    differ only in what places them in an AZ: ``nat-a``, ``nat-b``, ``nat-c``), itself included,
    first stack first; [] when it is not in one. Together they are one component spanning those AZs."""
    out: list[Resource] = []
    for workload, address in res.meta.az_replicas:
        out += [r for r in arch.lookup(workload, address) if r.address == address]
    return out
