"""Reading scenario files: a name or path to a file, TOML (nesting refused past :data:`MAX_DEPTH`),
``extends = "name"`` (a file starts from another scenario and overrides only what it states),
``--set key=value`` overrides, and validation into a :class:`sim.config.Scenario` whose failures
become one :class:`ConfigError` line per problem.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.config import SCENARIO_DIR, Scenario
from sim.errors import ConfigError


def _deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def named_file(folder: Path, name: str, what: str) -> Path:
    """``folder/<name>.toml`` for a name such as ``baseline`` or ``canonical/bass``; a name cannot
    reach outside ``folder`` (``..``, absolute paths): give such files by their path instead."""
    candidate = folder / f"{name}.toml"
    if "\x00" in name or not candidate.resolve().is_relative_to(folder.resolve()):
        raise ConfigError(f"{what} {name!r}: a name cannot reach outside {folder}; give a file "
                          "elsewhere by its path (ending in .toml)")
    return candidate


def resolve_named(folder: Path, name_or_path: str | Path, what: str, names: list[str]) -> Path:
    """A file given by its path (ending in ``.toml``), or by a name in ``folder`` (``names``: the
    names there are, for the message). A bare name is looked up in ``folder`` only, never in the
    current directory: ``baseline`` means ``scenarios/baseline.toml`` wherever pactsim runs."""
    import difflib

    text = str(name_or_path)
    candidate = Path(text) if Path(text).suffix == ".toml" else named_file(folder, text, what)
    if candidate.is_file():
        return candidate
    if candidate.exists():
        raise ConfigError(f"{candidate}: is not a file")
    close = difflib.get_close_matches(text, names, n=3)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    shown = ", ".join(names[:40]) + (f" and {len(names) - 40} more" if len(names) > 40 else "")
    raise ConfigError(f"{text}: no such {what} file or name ({hint}{what}s in {folder}: "
                      f"{shown or '(none)'}; a file elsewhere is given by its path, ending in .toml)")


def resolve_path(name_or_path: str | Path) -> Path:
    """A scenario name in ``scenarios/`` (e.g. ``baseline`` or ``canonical/bass``) or a path to a
    ``.toml`` file."""
    return resolve_named(SCENARIO_DIR, name_or_path, "scenario", sorted(list_scenarios()))


MAX_DEPTH = 32
"""Arrays and tables nested deeper than this are no config (and deep enough ones exhaust the
parser's recursion)."""


def loads_toml(text: str, where: str) -> dict:
    """``tomllib.loads``, refusing absurd nesting with a :class:`ConfigError` naming ``where`` and
    the top-level key; a syntax error is left to the caller (``tomllib.TOMLDecodeError``)."""
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise ConfigError(f"{where}: nested more than {MAX_DEPTH} levels deep") from None
    stack = [(key, value, 1) for key, value in data.items()]
    while stack:  # iterative: a recursive walk could itself run out of stack
        key, value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ConfigError(f"{where}: {key}: nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict):  # name the key down to its table's field
            stack.extend((f"{key}.{k}" if depth == 1 else key, v, depth + 1)
                         for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((key, v, depth + 1) for v in value)
    return data


MAX_BYTES = 1 << 20
"""A config file larger than this (1 MiB) is refused before it is read."""


def read_config_text(path: Path) -> str:
    """The UTF-8 text of a config file: a regular file (not a folder, FIFO or device) of at most
    :data:`MAX_BYTES`, checked before anything is read; :class:`ConfigError` otherwise."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO does not block the open
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(f"{path}: is not a regular file")
        if st.st_size > MAX_BYTES:
            raise ConfigError(f"{path}: is {st.st_size:,} bytes; a config file is at most "
                              f"{MAX_BYTES:,} bytes")
        with os.fdopen(os.dup(fd), "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror})") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_BYTES:  # it grew while being read
        raise ConfigError(f"{path}: is over {MAX_BYTES:,} bytes; a config file is at most that")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not a UTF-8 text file ({e.reason} at byte {e.start})") from None


def parse_toml(text: str, path: Path) -> dict:
    """:func:`loads_toml` with a syntax error as a :class:`ConfigError` naming ``path``."""
    try:
        return loads_toml(text, str(path))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: TOML syntax error: {e}") from None


def read_toml(path: Path) -> dict:
    """A config file read (:func:`read_config_text`) and parsed (:func:`parse_toml`)."""
    return parse_toml(read_config_text(path), path)


def _raw_scenario(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    if path.resolve() in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise ConfigError(f"{path}: 'extends' forms a cycle: {chain}")
    data = read_toml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ConfigError(f"{path}: extends = {parent!r}: must be a scenario name or path")
    ppath = Path(parent)
    if not ppath.is_absolute() and ppath.suffix == ".toml":
        ppath = path.parent / ppath
    base = _raw_scenario(resolve_path(ppath if ppath.suffix == ".toml" else parent),
                         (*seen, path.resolve()))
    return _deep_merge(base, data)


def _allowed(err: dict) -> str:
    ctx = err.get("ctx") or {}
    if err["type"] == "extra_forbidden":
        return "unknown key"
    if "expected" in ctx:
        return f"allowed: {ctx['expected']}"
    return err["msg"].removeprefix("Value error, ")


def shorten(text: str, width: int = 80) -> str:
    """``text`` cut to ``width`` characters with an ellipsis: a message shows a value, not a dump."""
    return text if len(text) <= width else text[:width - 3] + "..."


def format_validation_error(source: str, exc: ValidationError,
                            blame: Callable[[tuple, str], str | None] | None = None) -> str:
    """One line per problem: ``source: key = value: what is allowed``; ``blame(loc, message)`` may
    name another source for a problem (the ``--set`` option that gave the value)."""
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        where = (blame(tuple(err["loc"]), err["msg"]) if blame else None) or source
        value = err.get("input")
        shown = shorten(json.dumps(value, default=str)) if not isinstance(value, dict) else "{...}"
        if err["type"] == "value_error" and isinstance(value, dict):
            lines.append(f"{where}: {key}: {_allowed(err)}")
        else:
            lines.append(f"{where}: {key} = {shown}: {_allowed(err)}")
    return "\n".join(lines)


def parse_override(item: str) -> tuple[str, Any]:
    """Parse ``key.path=value``; the value is read as a TOML value, else as a bare string."""
    if "=" not in item:
        raise ConfigError(f"--set {item}: expected key=value")
    key, text = item.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise ConfigError(f"--set {item}: empty key")
    try:
        value = loads_toml(f"{json.dumps(key)} = {text.strip()}", "--set")[key]
    except tomllib.TOMLDecodeError:
        value = text.strip()
    return key, value


def _apply_override(data: dict, key: str, value: Any, item: str) -> dict:
    """``data`` (a raw scenario) with ``key`` set; the key syntax is ``sim.keys``' (the same as an
    experiment file's and the view's)."""
    from sim import keys

    try:
        resolved = keys.resolve(key)
    except ValueError as e:
        raise ConfigError(f"--set {item}: {e}") from None
    try:
        return keys.merged(data, resolved, value, Scenario().model_dump(mode="json"))
    except IndexError:  # the scenario's own list is shorter than the schema's
        raise ConfigError(f"--set {item}: the scenario's {key.rsplit('.', 1)[0]} has fewer values "
                          "than the schema's") from None


def validate(data: dict, source: str) -> Scenario:
    """Validate a raw mapping into a :class:`Scenario`, raising :class:`ConfigError`."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise ConfigError(format_validation_error(source, e)) from None


def load_scenario(name_or_path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Load, merge (``extends``), override (``key=value`` strings) and validate a scenario."""
    path = resolve_path(name_or_path)
    data = _raw_scenario(path)
    data.setdefault("name", path.stem)
    given: dict[tuple, str] = {}  # the path each --set wrote -> the option
    for item in overrides:
        key, value = parse_override(item)
        data = _apply_override(data, key, value, item)
        given[tuple(str(p) for p in keys_resolve(key).path)] = item

    def blame(loc: tuple, message: str) -> str | None:
        loc = tuple(str(p) for p in loc)
        for at, item in reversed(given.items()):
            if loc[:len(at)] == at or (loc and at[:len(loc)] == loc):
                return f"--set {item}"
            if not loc and f"{'.'.join(at)} = " in message:  # a cross-check naming the key
                return f"--set {item}"
        return None

    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise ConfigError(format_validation_error(str(path), e, blame)) from None


def keys_resolve(key: str):
    """``sim.keys.resolve`` (imported when used)."""
    from sim import keys

    return keys.resolve(key)


def list_scenarios() -> dict[str, str]:
    """Scenario names (relative to ``scenarios/``) with their one-line descriptions."""
    out = {}
    for p in sorted(SCENARIO_DIR.rglob("*.toml")):
        name = p.relative_to(SCENARIO_DIR).with_suffix("").as_posix()
        try:
            desc = str(read_toml(p).get("description", ""))
        except ConfigError:
            desc = "(unreadable)"
        out[name] = desc.strip().splitlines()[0] if desc.strip() else ""
    return out
