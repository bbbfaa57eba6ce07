"""What the cache stores, as plain JSON data: never code.

A cache entry may have been written by someone else (a CI cache restored from another job, a
shared directory), so reading one must never run anything it says. Entries are JSON; the few
types JSON has no word for are one-key objects whose key is a tag starting with ``!``::

    {"!tuple": [...]}                      a tuple (a JSON list stays a Python list)
    {"!unknown": 0}                        values.UNKNOWN
    {"!dynamic": [index, {...}]}           values.DynamicBlock
    {"!dict": [[key, value], ...]}         a dict with a key that is not a string, or starts with "!"
    {"!date": "2010-09-09"}, {"!datetime": ...}   what YAML reads as a date
    {"!Origin": [description, file, ...]}  a dataclass of ``_DATACLASSES``: its fields in order,
                                           trailing fields at their default left out, a field
                                           the class declares a tuple written as a list
    {"!shared": 3}                         the entry's 4th Origin again (``_Encoder``)

Only the types named here are ever made. Decoding checks every object against its class's
field types (``Origin.via`` must be a tuple of Origins, ``Resource.line`` an int...): an
unknown tag, too few or too many fields, or a field of the wrong type raises ``CodecError``,
which the cache takes as a miss. Encoding a type not named here raises ``CodecError`` too: that
value is not cached (and a test encoding every fixture says so loudly).
"""

from __future__ import annotations

import dataclasses
import datetime
import gc
import importlib
import json
import types
import typing
from typing import Any, Callable

from ha_lint.values import UNKNOWN, DynamicBlock, Unknown

# Tag -> (module, class): the dataclasses an entry may hold, imported on first use. A loader
# that starts putting a new type into its results adds it here (tests/test_cache.py says so).
_DATACLASSES = {
    "!Resource": ("ha_lint.model", "Resource"),
    "!Workload": ("ha_lint.model", "Workload"),
    "!LoadError": ("ha_lint.model", "LoadError"),
    "!ScanWarning": ("ha_lint.model", "ScanWarning"),
    "!ModuleCall": ("ha_lint.model", "ModuleCall"),
    "!ResourceMeta": ("ha_lint.model", "ResourceMeta"),
    "!NestedStack": ("ha_lint.model", "NestedStack"),
    "!Origin": ("ha_lint.values", "Origin"),
    "!CallInput": ("ha_lint.values", "CallInput"),
    "!Choice": ("ha_lint.values", "Choice"),
    "!Ref": ("ha_lint.values", "Ref"),
    "!AzToken": ("ha_lint.values", "AzToken"),
    "!EncodedJson": ("ha_lint.values", "EncodedJson"),
    "!Source": ("ha_lint.hclexpr", "Source"),
    "!TfBlock": ("ha_lint.loaders.tfmodule", "TfBlock"),
    "!TfFile": ("ha_lint.loaders.tfmodule", "TfFile"),
    "!Export": ("ha_lint.resolve.cloudformation", "Export"),
    "!Joined": ("ha_lint.resolve.cloudformation", "Joined"),
    "!Import": ("ha_lint.resolve.cloudformation", "Import"),
}
_SHARED = frozenset({"!Origin"})  # written once per entry, then referred to (_Encoder)
_TAG_OF = {(module, name): tag for tag, (module, name) in _DATACLASSES.items()}


class CodecError(ValueError):
    """A value the cache cannot store, or an entry that is not one the cache wrote."""


# -- encoding ------------------------------------------------------------------------------


def dumps(value: Any) -> bytes:
    """``value`` as JSON bytes (ASCII: a file name's surrogate escapes survive as ``\\udcff``)."""
    try:
        return json.dumps(_Encoder().encode(value), check_circular=False, separators=(",", ":")).encode("ascii")
    except RecursionError:
        raise CodecError("nested too deeply to cache") from None


class _Encoder:
    """One entry's encoding. An Origin equal to one written before in the entry is written as
    ``{"!shared": n}``, the n-th Origin of the entry (a module's origins repeat on every
    resource it makes: this halves an entry, and its decoding time)."""

    def __init__(self) -> None:
        self.shared: dict[Any, int] = {}
        self.count = 0  # Origins written in full so far, in the order the decoder meets them

    def encode(self, value: Any) -> Any:
        kind = type(value)
        if kind is str or kind is int or kind is bool or kind is float or value is None:
            return value
        if kind is list:
            return [self.encode(item) for item in value]
        if kind is dict:
            if all(type(key) is str and key[:1] != "!" for key in value):
                return {key: self.encode(item) for key, item in value.items()}
            return {"!dict": [[self.encode(key), self.encode(item)] for key, item in value.items()]}
        if kind is tuple:
            return {"!tuple": [self.encode(item) for item in value]}
        special = _SPECIAL_ENCODERS.get(kind)
        if special is not None:
            return special(self, value)
        tag = _TAG_OF.get((kind.__module__, kind.__qualname__))
        if tag is None:
            raise CodecError(f"the cache does not store {kind.__module__}.{kind.__qualname__}")
        if tag in _SHARED:
            index = self.shared.get(value)
            if index is not None:
                return {"!shared": index}
        spec = _spec(tag)
        fields = [getattr(value, field.name) for field in spec.fields]
        while fields and spec.fields[len(fields) - 1].is_default(fields[-1]):
            fields.pop()
        for index in spec.tuples:
            if index < len(fields):
                if type(fields[index]) is not tuple:
                    raise CodecError(f"{kind.__qualname__}.{spec.fields[index].name} is not a tuple")
                fields[index] = list(fields[index])
        encoded = {tag: [self.encode(item) for item in fields]}  # (an Origin's via first: the decoder's order)
        if tag in _SHARED:
            self.shared.setdefault(value, self.count)
            self.count += 1
        return encoded


def _encode_date(encoder: _Encoder, value: datetime.date) -> dict[str, str]:
    return {"!datetime" if isinstance(value, datetime.datetime) else "!date": value.isoformat()}


def _special_encoders() -> dict[type, Callable[[_Encoder, Any], Any]]:
    return {Unknown: lambda encoder, _: {"!unknown": 0},
            DynamicBlock: lambda encoder, value: {"!dynamic": [value.dynamic_index, encoder.encode(dict(value))]},
            datetime.date: _encode_date, datetime.datetime: _encode_date}


_SPECIAL_ENCODERS = _special_encoders()


# -- decoding ------------------------------------------------------------------------------


def loads(data: str | bytes) -> Any:
    """The value ``dumps`` wrote, or CodecError for anything else."""
    # Decoding makes many containers, all kept: the cyclic garbage collector would walk them
    # again and again for nothing (decoding makes no cycles). Paused, it takes a third less time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return json.loads(data, object_hook=_Decoder().decode_object)
    except CodecError:
        raise
    except (ValueError, TypeError, RecursionError, MemoryError) as exc:  # not JSON, or not ours
        raise CodecError(f"not a cache entry ({type(exc).__name__})") from None
    finally:
        if collecting:
            gc.enable()


class _Decoder:
    def __init__(self) -> None:
        self.shared: list[Any] = []  # the entry's Origins, in the order they were read

    def decode_object(self, obj: dict[str, Any]) -> Any:
        """Called by ``json`` for every JSON object, innermost first, in the order written."""
        if len(obj) != 1:
            return obj
        for tag, value in obj.items():
            if tag[:1] != "!":
                return obj
            decoder = _DECODERS.get(tag)
            if decoder is not None:
                return decoder(value)
            if tag == "!shared":
                if type(value) is not int or not 0 <= value < len(self.shared):
                    raise CodecError("a reference to an origin not read before")
                return self.shared[value]
            if tag not in _DATACLASSES:
                raise CodecError(f"unknown tag {tag!r}")
            built = _spec(tag).build(value)
            if tag in _SHARED:
                self.shared.append(built)
            else:  # from now on found at once in _DECODERS
                _DECODERS[tag] = _spec(tag).build
            return built
        return obj


def _decode_tuple(value: Any) -> tuple[Any, ...]:
    if type(value) is not list:
        raise CodecError("a tuple that is not a list of items")
    return tuple(value)


def _decode_unknown(value: Any) -> Any:
    if value != 0 or type(value) is not int:
        raise CodecError("an unknown of the wrong shape")
    return UNKNOWN


def _decode_dict(value: Any) -> dict[Any, Any]:
    if type(value) is not list or not all(type(pair) is list and len(pair) == 2 for pair in value):
        raise CodecError("a dict that is not a list of pairs")
    try:
        return dict(value)
    except TypeError:  # a key that cannot be one (a list)
        raise CodecError("a dict with an unhashable key") from None


def _decode_dynamic(value: Any) -> Any:
    if not (type(value) is list and len(value) == 2 and type(value[0]) is int and type(value[1]) is dict):
        raise CodecError("a dynamic block of the wrong shape")
    return DynamicBlock(value[1], value[0])


def _date_decoder(kind: type[datetime.date]) -> Callable[[Any], datetime.date]:
    def decode(value: Any) -> datetime.date:
        try:
            return kind.fromisoformat(value)
        except (TypeError, ValueError):
            raise CodecError("a date of the wrong shape") from None
    return decode


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "!tuple": _decode_tuple, "!unknown": _decode_unknown, "!dict": _decode_dict, "!dynamic": _decode_dynamic,
    "!date": _date_decoder(datetime.date), "!datetime": _date_decoder(datetime.datetime),
}


# -- the dataclasses' fields, and what each may hold -----------------------------------------


@dataclasses.dataclass(frozen=True)
class _FieldSpec:
    name: str
    hint: Any
    default: Any  # dataclasses.MISSING when required (a default factory's value otherwise)

    @property
    def is_tuple(self) -> bool:
        """Written as a plain list: the class says it is a tuple (saves a tag per tuple)."""
        return typing.get_origin(self.hint) is tuple

    def is_default(self, value: Any) -> bool:
        default = self.default
        if default is dataclasses.MISSING:
            return False
        return value is default or (type(value) is type(default) and value == default)


@dataclasses.dataclass(frozen=True)
class _ClassSpec:
    cls: type
    fields: tuple[_FieldSpec, ...]
    required: int  # how many leading fields have no default
    tuples: tuple[int, ...]  # fields written as lists (``_FieldSpec.is_tuple``)
    # What each field may hold: its exact types when that says it all, else a check.
    exact: tuple[tuple[int, frozenset[type]], ...]
    checks: tuple[tuple[int, Callable[[Any], bool]], ...]

    def build(self, values: Any) -> Any:
        if type(values) is not list or not self.required <= len(values) <= len(self.fields):
            raise CodecError(f"a {self.cls.__name__} with too few or too many fields")
        count = len(values)
        for index in self.tuples:
            if index < count:
                if type(values[index]) is not list:
                    raise CodecError(f"a {self.cls.__name__} whose {self.fields[index].name} is not a list")
                values[index] = tuple(values[index])
        for index, types_ in self.exact:
            if index < count and type(values[index]) not in types_:
                raise CodecError(f"a {self.cls.__name__} whose {self.fields[index].name} has the wrong type")
        for index, check in self.checks:
            if index < count and not check(values[index]):
                raise CodecError(f"a {self.cls.__name__} whose {self.fields[index].name} has the wrong type")
        return self.cls(*values)


_SPECS: dict[str, _ClassSpec] = {}


def _spec(tag: str) -> _ClassSpec:
    spec = _SPECS.get(tag)
    if spec is None:
        module, name = _DATACLASSES[tag]
        cls = getattr(importlib.import_module(module), name)
        hints = typing.get_type_hints(cls)
        fields = tuple(_FieldSpec(f.name, hints[f.name], _default_of(f)) for f in dataclasses.fields(cls) if f.init)
        required = sum(1 for f in fields if f.default is dataclasses.MISSING)
        if any(f.default is dataclasses.MISSING for f in fields[required:]):
            raise TypeError(f"{name}: the cache codec needs required fields first")
        exact, checks = [], []
        for index, field in enumerate(fields):
            types_ = _exact_types(field.hint)
            if types_ is not None:
                exact.append((index, types_))
            elif not _is_anything(field.hint):
                checks.append((index, _accepts(field.hint)))
        spec = _SPECS[tag] = _ClassSpec(cls, fields, required, tuple(i for i, f in enumerate(fields) if f.is_tuple),
                                        tuple(exact), tuple(checks))
    return spec


def _default_of(field: dataclasses.Field) -> Any:  # type: ignore[type-arg]
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


def _is_anything(hint: Any) -> bool:
    return hint is Any or hint is object


def _exact_types(hint: Any) -> frozenset[type] | None:
    """The types a value of ``hint`` may have when they say all (``str``, ``int | None``,
    ``Origin``: a float may be written as an int), else None."""
    if _is_anything(hint):
        return None
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        parts = [_exact_types(arg) for arg in typing.get_args(hint)]
        return None if any(part is None for part in parts) else frozenset().union(*parts)  # type: ignore[arg-type]
    if hint is type(None) or (isinstance(hint, type) and typing.get_origin(hint) is None
                              and hint not in (dict, list, tuple, object)):
        return frozenset({int, float}) if hint is float else frozenset({hint})
    return None


def _accepts(hint: Any) -> Callable[[Any], bool]:
    """A check that a decoded value fits the type hint, containers and what they hold (an
    object inside was checked against its own class's hints when it was made)."""
    if _is_anything(hint):
        return lambda value: True
    exact = _exact_types(hint)
    if exact is not None:
        return lambda value: type(value) in exact
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        checks = [_accepts(arg) for arg in args]
        return lambda value: any(check(value) for check in checks)
    if origin is dict:
        key, item = args or (Any, Any)
        return _all_of(dict, key, item)
    if origin is list:
        return _all_of(list, args[0] if args else Any)
    if origin is tuple:
        if not args:
            return lambda value: type(value) is tuple
        if len(args) == 2 and args[1] is Ellipsis:
            return _all_of(tuple, args[0])
        checks = [_accepts(arg) for arg in args]
        return lambda value: (type(value) is tuple and len(value) == len(checks)
                              and all(check(v) for check, v in zip(checks, value)))
    raise TypeError(f"the cache codec has no check for the type hint {hint!r}")


def _all_of(container: type, item: Any, value_of_dict: Any = None) -> Callable[[Any], bool]:
    """A check for a container of ``item`` (for a dict: keys of ``item``, values of
    ``value_of_dict``). Items of exact types are checked by their types in C, the rest one by one."""
    def items_check(hint: Any) -> Callable[[Any], bool] | None:
        if _is_anything(hint):
            return None
        exact = _exact_types(hint)
        if exact is not None:
            return lambda items: exact.issuperset(map(type, items))
        check = _accepts(hint)
        return lambda items: all(map(check, items))

    if container is dict:
        keys, values = items_check(item), items_check(value_of_dict)
        return lambda value: (type(value) is dict and (keys is None or keys(value.keys()))
                              and (values is None or values(value.values())))
    items = items_check(item)
    return lambda value: type(value) is container and (items is None or items(value))
