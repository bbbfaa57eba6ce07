"""CloudFormation parameter files (``--parameter-file``, a declared stack's ``parameter_file``):
the values they give, each with the line that sets it. Read as data, never executed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ha_lint.loaders import LoadFailure
from ha_lint.model import LoadError
from ha_lint.textfile import FileRefused, read_small_text
from ha_lint.values import Origin


_MAX_PARAMETER_FILE_BYTES = 10 * 1024 * 1024
_MAX_PARAMETER_DEPTH = 50  # a parameter file is a flat list or mapping; its values rarely nest at all


def _deeper_than(root: Any, limit: int) -> bool:
    """Whether a composed YAML node tree nests more than ``limit`` collections (checked
    without recursion, so that nothing later recurses through an absurdly deep file)."""
    stack = [(root, 0)] if root is not None else []
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node.value, list):
            stack.extend((child, depth + 1) for item in node.value
                         for child in (item if isinstance(item, tuple) else (item,)))
    return False


def _too_deep_parameters() -> LoadFailure:
    return LoadFailure(f"nests deeper than {_MAX_PARAMETER_DEPTH} levels; not a parameter file, not read")


def read_parameter_file(path: Path, shown: str | None = None) -> dict[str, tuple[Any, Origin]]:
    """Parameter values from a file, each with the line that sets it. Accepted forms:
    the CLI's ``[{"ParameterKey": k, "ParameterValue": v}]`` (``UsePreviousValue: true``
    makes the value unknown), ``cloudformation deploy``'s ``["Key=Value"]``, and the
    CodePipeline template configuration ``{"Parameters": {k: v}}``; JSON or YAML."""
    import yaml

    shown = shown or str(path)
    try:
        text = read_small_text(path, _MAX_PARAMETER_FILE_BYTES)
    except FileRefused as exc:
        raise LoadFailure(f"{exc.reason}; not read") from None
    except UnicodeDecodeError as exc:
        raise LoadFailure(f"cannot be read: {exc}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise LoadFailure(f"not valid JSON/YAML: {getattr(exc, 'problem', None) or exc}",
                          mark.line + 1 if mark else None) from None
    except RecursionError:  # PyYAML's pure-Python composer recurses once per level
        raise _too_deep_parameters() from None
    if _deeper_than(root, _MAX_PARAMETER_DEPTH):
        raise _too_deep_parameters()
    name = Path(shown).name
    out: dict[str, tuple[Any, Origin]] = {}

    def put(key: Any, node: Any, line_node: Any) -> None:
        if not isinstance(key, str) or not key:
            return
        value = _node_value(node)
        out[key] = (value, Origin(f"{name} sets parameter {key} to {value!r}" if value is not None
                                  else f"{name} keeps parameter {key}'s previous value", shown, line_node.start_mark.line + 1))

    if isinstance(root, yaml.SequenceNode):
        for item in root.value:
            if isinstance(item, yaml.MappingNode):
                fields = {k.value: v for k, v in item.value if isinstance(k, yaml.ScalarNode)}
                key_node = fields.get("ParameterKey")
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                if _node_value(fields.get("UsePreviousValue")) == "true":
                    put(key_node.value, None, key_node)
                elif "ParameterValue" in fields:
                    put(key_node.value, fields["ParameterValue"], fields["ParameterValue"])
            elif isinstance(item, yaml.ScalarNode) and "=" in item.value:
                key, _, value = item.value.partition("=")
                put(key.strip(), yaml.ScalarNode("tag:yaml.org,2002:str", value), item)
        return out
    if isinstance(root, yaml.MappingNode):
        fields = {k.value: v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
        params = fields.get("Parameters")
        if isinstance(params, yaml.MappingNode):
            for k, v in params.value:
                if isinstance(k, yaml.ScalarNode):
                    put(k.value, v, v)
            return out
    raise LoadFailure('not a parameter file: expected [{"ParameterKey": ..., "ParameterValue": ...}], '
                      '["Key=Value"] or {"Parameters": {...}}', 1)


def parameter_overrides(files: list[str], parameters: dict[str, str],
                        errors: list[LoadError]) -> tuple[dict[str, Any], dict[str, Origin]]:
    """The user's parameter values: the files in order, then ``--parameter`` on top. A file
    that cannot be read is one error item; the others still apply."""
    values: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    for file in files:
        try:
            found = read_parameter_file(Path(file), file)
        except LoadFailure as exc:
            errors.append(LoadError(file, exc.message, exc.line))
            continue
        for name, (value, origin) in found.items():
            values[name] = value
            origins[name] = origin
    for name, value in parameters.items():
        values[name] = value
        origins.pop(name, None)
    return values, origins


def _node_value(node: Any) -> Any:
    """A parameter value as CloudFormation receives it: a string (lists joined by commas)."""
    import yaml

    if node is None:
        return None
    if isinstance(node, yaml.ScalarNode):
        return _scalar_text(node)
    if isinstance(node, yaml.SequenceNode):
        return ",".join(str(_node_value(v)) for v in node.value)
    return json.dumps(yaml.safe_load(yaml.serialize(node)))


def _scalar_text(node: Any) -> str:
    """YAML's unquoted ``True``/``false`` are booleans: CloudFormation receives ``true``/``false``."""
    if node.style is None and node.tag.endswith(":bool"):
        return node.value.lower()
    return node.value
