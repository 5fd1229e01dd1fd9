"""Dotted keys into the scenario schema, one syntax for ``--set``, experiment files and the view.

A key names a value: ``levers.process``, ``behaviour.n_flip_hero``, or an element of a fixed-size
list such as ``culture.p_share.1`` (a trailing number indexes the list, from 0). A key that names a
section (``levers``), no field, or an index out of range is refused with a message naming what is
allowed there. Whole lists are values too (``culture.p_share`` takes ``[0.05, 0.6]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Key:
    """A resolved key: its path through the nested config, its type, the schema field it is in
    (for a list element: the list's field) and the constraints of the value (ge, le, ...)."""

    name: str
    path: Path
    annotation: Any
    field: FieldInfo
    metadata: tuple

    @property
    def index(self) -> int | None:
        """The list index, for a key such as ``culture.p_share.1``."""
        return self.path[-1] if isinstance(self.path[-1], int) else None


def _strip(annotation: Any) -> tuple[Any, tuple]:
    metadata: tuple = ()
    while get_origin(annotation) is Annotated:
        args = get_args(annotation)
        for m in args[1:]:  # Annotated[float, Field(ge=...)]: the Field's constraints
            metadata += tuple(m.metadata) if isinstance(m, FieldInfo) else (m,)
        annotation = args[0]
    return annotation, metadata


def resolve(key: str, root: type[BaseModel] | None = None) -> Key:
    """The :class:`Key` of ``key`` in the schema (``sim.config.Scenario`` by default); raises
    ``ValueError`` with a message that starts ``"<key> names no field"`` or says what is wrong."""
    if root is None:
        from sim.config import Scenario as root
    if not isinstance(key, str) or not key or any(not part for part in key.split(".")):
        raise ValueError(f"{key!r} is not a dotted key (such as levers.process)")
    node: Any = root
    path: list[str | int] = []
    info: FieldInfo | None = None
    metadata: tuple = ()
    for part in key.split("."):
        node, _ = _strip(node)
        where = ".".join(map(str, path)) or "the top level"
        if get_origin(node) is tuple:
            args = get_args(node)
            size = None if (len(args) == 2 and args[1] is Ellipsis) else len(args)
            if not part.isdigit() or (size is not None and int(part) >= size):
                raise ValueError(f"{key} names no value: {where} is a list of "
                                 f"{size or 'any number of'} values: index it with "
                                 f"0..{(size or 1) - 1}, got {part!r}")
            path.append(int(part))
            node, metadata = _strip(args[0] if size is None else args[int(part)])
            continue
        fields = getattr(node, "model_fields", None)
        if fields is None:
            raise ValueError(f"{key} names no field: {where} has no sub-keys")
        if part not in fields:
            raise ValueError(f"{key} names no field: {part!r} is not a field of {where} "
                             f"(allowed: {', '.join(fields)})")
        path.append(part)
        info = fields[part]
        node, metadata = info.annotation, tuple(info.metadata)
    node, more = _strip(node)
    if isinstance(node, type) and issubclass(node, BaseModel):
        raise ValueError(f"{key} is a section, not a value: name one of its fields "
                         f"({', '.join(node.model_fields)})")
    assert info is not None
    return Key(key, tuple(path), node, info, metadata + more)


def get(data: Any, path: Path) -> Any:
    """The value at ``path`` in nested dicts and lists."""
    for part in path:
        data = data[part]
    return data


def put(data: dict, path: Path, value: Any) -> None:
    """Set the value at ``path`` in nested dicts and lists that all exist (a dumped config)."""
    cur: Any = data
    for part in path[:-1]:
        cur = cur[part]
    cur[path[-1]] = value


def merged(data: dict, key: Key, value: Any, defaults: dict) -> dict:
    """A copy of ``data`` (a raw, partial config: missing sections take their defaults) with
    ``key`` set to ``value``; ``defaults`` is the full default config dumped as JSON, where a list
    element's siblings come from when ``data`` does not hold the list."""
    out = dict(data)
    cur, dflt = out, defaults
    for i, part in enumerate(key.path[:-1]):
        nxt = key.path[i + 1]
        dflt = dflt[part]
        held = cur.get(part)
        if isinstance(nxt, int):  # the list itself: copy it (or its default) to set one element
            cur[part] = list(held) if isinstance(held, list | tuple) else list(dflt)
        else:
            cur[part] = dict(held) if isinstance(held, dict) else {}
        cur = cur[part]
    cur[key.path[-1]] = value
    return out
