"""What the Terraform loaders give (``loaders.terraform`` for HCL, ``loaders.tfjson`` for the JSON
syntax): a module's files, their labelled top-level blocks, and the labels each block type takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class TfBlock:
    """A labelled top-level block: resource, data, module, variable, output, provider."""

    block_type: str
    labels: tuple[str, ...]
    body: dict[str, Any]  # python-hcl2 values, meta keys removed
    file: str
    line: int
    lines: dict[str, int] = field(default_factory=dict)  # attribute path -> line

    @property
    def instances_by(self) -> str | None:
        """The meta-argument that makes its instances, as written: ``count``, ``for_each``, None."""
        return next((each for each in ("count", "for_each") if each in self.body), None)

    @property
    def dynamic_labels(self) -> tuple[str, ...]:
        """The labels of its own ``dynamic "<label>"`` blocks (not those nested in a block), in
        the order written, each once."""
        dynamic = self.body.get("dynamic")
        labels = [label for dyn in dynamic if isinstance(dyn, dict) for label in dyn] if isinstance(dynamic, list) else []
        return tuple(dict.fromkeys(labels))


@dataclass
class TfFile:
    file: str
    blocks: list[TfBlock]
    locals: list[TfBlock]


@dataclass
class TfModule:
    directory: str  # as shown to the user
    path: Path  # on disk, for finding local module sources and tfvars
    files: list[TfFile] = field(default_factory=list)

    def blocks(self, block_type: str) -> list[TfBlock]:
        return [b for f in self.files for b in f.blocks if b.block_type == block_type]

    def locals(self) -> list[TfBlock]:
        return [b for f in self.files for b in f.locals]


# How many labels each top-level block type takes (a type not listed: a newer Terraform's, skipped),
# and what a block with labels names by them, for the message when they are wrong.
LABELS = {"resource": 2, "data": 2, "ephemeral": 2, "module": 1, "variable": 1, "output": 1, "provider": 1,
          "check": 1, "locals": 0, "terraform": 0, "moved": 0, "import": 0, "removed": 0}
LABEL_NAMES = {"resource": "its type and its name", "data": "its type and its name",
               "ephemeral": "its type and its name", "check": "its name"}
