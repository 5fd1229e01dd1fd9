"""Uncertainties as data: what an experiment's ``[uncertainties]`` table may sample, resolved.

An experiment varies its *levers* in ``[design]`` (the decisions a strategist takes) and may sample
*uncertainties* beside them (what nobody can pin down: the shape of the response curves, how complex
the customers' problem is, how the feed ranks, how fast the market moves, ...). Each entry of
``[uncertainties.parameters]`` names a scenario key (``sim.keys``) and takes

- ``"plausible"``: the range the schema records for the assumed value (``sim.config.F``'s
  ``plausible``; for a lever pair such as ``culture.p_share`` both ends are sampled, as
  ``culture.p_share.0`` and ``culture.p_share.1``; for a rule set, every choice it allows);
- ``[low, high]``: a range of a number field (an integer field takes each whole number in it
  equally often);
- ``{ choices = [...] }``: a list of values, each one the field allows (rule sets, feed rule, ...).

:func:`resolve` turns the table into a :class:`Space` (each dimension a :class:`Range` or
:class:`Choices`), refusing with a message naming the key: an unknown parameter, an empty range, a
choice the field does not allow, a lever (a decision, not an uncertainty), or a key the design or
``[set]`` sets too. ``sim.design.scenarios`` samples the space.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args, get_origin

from sim import keys
from sim.errors import ConfigError

PLAUSIBLE = "plausible"
DECISIONS = ("levers.mode", "levers.process", "levers.advocates", "levers.culture",
             "levers.technology", "levers.budget", "levers.schedule")
"""Keys (and sections) that are levers: what a design varies, never an uncertainty."""


@dataclass(frozen=True)
class Range:
    """A number sampled uniformly in [low, high]; ``integer``: each whole number equally often."""

    low: float
    high: float
    integer: bool = False

    def as_run(self) -> dict:
        return {"range": [self.low, self.high], "integer": self.integer}


@dataclass(frozen=True)
class Choices:
    """One of ``values``, each equally often."""

    values: tuple

    def as_run(self) -> dict:
        return {"choices": list(self.values)}


Space = dict[str, Range | Choices]
"""Each sampled key (a scalar: a list element is named by its index) and what it may take."""


def _where(source: str, name: str) -> str:
    return f"{source}: uncertainties.parameters.\"{name}\""


def _is_decision(name: str) -> bool:
    return any(name == d or name.startswith(d + ".") for d in DECISIONS)


def _literal_choices(annotation: Any) -> tuple | None:
    return get_args(annotation) if get_origin(annotation) is Literal else None


def _adapter(key: keys.Key):
    from pydantic import TypeAdapter

    ann = Annotated[(key.annotation, *key.metadata)] if key.metadata else key.annotation
    return TypeAdapter(ann)


def _check_value(where: str, key: keys.Key, value: Any, what: str) -> Any:
    """``value`` as the field takes it, or a ConfigError naming what the field allows."""
    from pydantic import ValidationError

    from sim.config import no_coercion

    allowed = _literal_choices(key.annotation)
    if allowed is not None and value not in allowed:
        raise ConfigError(f"{where}: {what} {json.dumps(value)} is not one the field allows "
                          f"({', '.join(map(str, allowed))})")
    try:
        no_coercion(key.annotation, value)
        return _adapter(key).validate_python(value, strict=False)
    except (ValidationError, ValueError) as e:
        msg = e.errors()[0]["msg"] if isinstance(e, ValidationError) else str(e)
        raise ConfigError(f"{where}: {what} {json.dumps(value, default=str)}: {msg}") from None


def _plausible(where: str, key: keys.Key) -> list[tuple[str, Range | Choices]]:
    """The schema's plausible range of ``key`` (both ends of a pair; every choice of a rule)."""
    choices = _literal_choices(key.annotation)
    if choices is not None:
        return [(key.name, Choices(tuple(choices)))]
    extra = key.field.json_schema_extra or {}
    rng = extra.get("plausible") if isinstance(extra, dict) else None
    if rng is None:
        raise ConfigError(f"{where}: the schema records no plausible range for it (source: "
                          f"{extra.get('source', 'unknown') if isinstance(extra, dict) else 'unknown'})"
                          ": give [low, high] or { choices = [...] }")
    integer = key.annotation is int
    if isinstance(rng[0], list | tuple):  # a pair (or list) field: one range per element
        if key.index is not None:
            return [(key.name, _range(where, key.index, rng[key.index], integer))]
        if key.annotation in (int, float):
            raise ConfigError(f"{where}: the schema's plausible range is per element: name them")
        return [(f"{key.name}.{i}", _range(where, i, r, integer)) for i, r in enumerate(rng)]
    return [(key.name, _range(where, None, rng, integer))]


def _range(where: str, index: int | None, rng, integer: bool) -> Range | Choices:
    lo, hi = float(rng[0]), float(rng[1])
    if lo == hi:  # the schema's way of saying "no doubt here" (e.g. a HERO's submission multiplier)
        return Choices((int(lo) if integer else lo,))
    return Range(lo, hi, integer)


def _entry(source: str, name: str, value: Any) -> list[tuple[str, Range | Choices]]:
    where = _where(source, name)
    try:
        key = keys.resolve(name)
    except ValueError as e:
        raise ConfigError(f"{where}: {e}") from None
    if _is_decision(name):
        raise ConfigError(f"{where}: is a lever (a decision the design varies), not an "
                          "uncertainty: vary it in [design] or fix it in [set]")
    if value == PLAUSIBLE:
        return _plausible(where, key)
    if isinstance(value, dict):
        if set(value) != {"choices"}:
            raise ConfigError(f"{where}: a table takes exactly one key, choices (got "
                              f"{', '.join(value) or 'none'})")
        choices = value["choices"]
        if not isinstance(choices, list) or not choices:
            raise ConfigError(f"{where}: choices = {json.dumps(choices, default=str)}: must be a "
                              "non-empty list of values")
        checked = tuple(_check_value(where, key, c, "choice") for c in choices)
        if len({json.dumps(c, sort_keys=True) for c in choices}) != len(choices):
            raise ConfigError(f"{where}: choices repeat: {json.dumps(choices)}")
        return [(name, Choices(checked))]
    if isinstance(value, list):
        if key.annotation not in (int, float):
            raise ConfigError(f"{where}: [low, high] needs a number field; this one takes "
                              f"{getattr(key.annotation, '__name__', key.annotation)}: give "
                              "{ choices = [...] }")
        if len(value) != 2 or any(isinstance(v, bool) or not isinstance(v, int | float) for v in value):
            raise ConfigError(f"{where}: = {json.dumps(value, default=str)}: a range is [low, high], "
                              "two numbers")
        lo, hi = (_check_value(where, key, v, "end") for v in value)
        if not lo < hi:
            raise ConfigError(f"{where}: = [{value[0]}, {value[1]}]: an empty range (low must be "
                              "below high)")
        return [(name, Range(float(lo), float(hi), key.annotation is int))]
    raise ConfigError(f"{where} = {json.dumps(value, default=str)}: allowed: \"plausible\", "
                      "[low, high] or { choices = [...] }")


def resolve(source: str, parameters: dict[str, Any], taken: dict[str, str]) -> Space:
    """The space of ``[uncertainties.parameters]``; ``taken`` maps keys set elsewhere (the
    design's columns, what it implies, ``[set]``) to who sets them."""
    space: Space = {}
    for name, value in parameters.items():
        for dim, what in _entry(source, name, value):
            for other, who in taken.items():
                if dim == other or dim.startswith(other + ".") or other.startswith(dim + "."):
                    raise ConfigError(f"{_where(source, name)}: is also set by {who} ({other})")
            if dim in space:
                raise ConfigError(f"{_where(source, name)}: {dim} is listed twice")
            space[dim] = what
    return space
