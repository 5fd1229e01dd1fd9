"""Which lever values a scenario's lever mode reads, and which it ignores (ODD section 7.2).

``levers.mode`` picks one way of setting the four levers: ``direct`` reads the four levels,
``budget`` reads ``levers.budget.*`` (shares of a total), ``schedule`` reads ``levers.schedule.*``
(levers switching on in order). What one mode reads the others ignore; ``levers.shape`` is read by
every mode. This is the one statement of that rule: the view disables the controls a mode ignores,
and ``pactsim run`` warns when ``--set`` changes such a value (``sim.params.lever_levels`` is the
code that reads them).
"""

from __future__ import annotations

import sys
from typing import TextIO

from sim.config import LEVERS, Scenario

MODES = ("direct", "budget", "schedule")
# the keys (or key prefixes) each mode reads; every other mode's keys are ignored by it
READS: dict[str, tuple[str, ...]] = {
    "direct": tuple(f"levers.{name}" for name in LEVERS),
    "budget": ("levers.budget",),
    "schedule": ("levers.schedule",),
}


def _under(key: str, prefix: str) -> bool:
    return key == prefix or key.startswith(prefix + ".")


def mode_of_key(key: str) -> str | None:
    """The lever mode that reads ``key`` (a dotted key such as ``levers.budget.total`` or
    ``levers.schedule.starts.1``); None for a key every mode reads or no mode owns."""
    for mode, prefixes in READS.items():
        if any(_under(key, p) for p in prefixes):
            return mode
    return None


def is_read(mode: str, key: str) -> bool:
    """Whether a scenario in lever mode ``mode`` reads ``key``."""
    owner = mode_of_key(key)
    return owner is None or owner == mode


def ignored(cfg: Scenario, keys: list[str] | tuple[str, ...]) -> list[str]:
    """The keys among ``keys`` that ``cfg``'s lever mode ignores, in the order given."""
    return [k for k in keys if not is_read(cfg.levers.mode, k)]


def ignored_message(cfg: Scenario, keys: list[str] | tuple[str, ...]) -> str | None:
    """A warning naming the ignored keys and what the mode reads instead; None when none is."""
    unread = ignored(cfg, keys)
    if not unread:
        return None
    mode = cfg.levers.mode
    reads = ", ".join(p if mode == "direct" else p + ".*" for p in READS[mode])
    return (f"{', '.join(unread)}: ignored by scenario {cfg.name}, whose levers.mode = {mode!r} "
            f"reads {reads} (set levers.mode to use {'it' if len(unread) == 1 else 'them'})")


def override_keys(overrides: list[str] | tuple[str, ...] | None) -> list[str]:
    """The keys of ``key=value`` override strings (``--set``), as given."""
    return [item.split("=", 1)[0].strip() for item in overrides or () if "=" in item]


def warn_ignored(cfg: Scenario, overrides: list[str] | tuple[str, ...] | None,
                 stream: TextIO | None = None) -> str | None:
    """Print a warning to ``stream`` (stderr) when an override sets a value ``cfg``'s lever mode
    ignores; return the message (None when there is nothing to say)."""
    message = ignored_message(cfg, override_keys(overrides))
    if message:
        print(f"warning: --set {message}", file=stream or sys.stderr)
    return message


def warn_experiment(experiment: str, stream: TextIO | None = None) -> str | None:
    """``pactsim sweep``'s warning: the experiment's ``[set]`` and design keys that the lever
    mode of its base scenario (with ``[set]`` and what the design implies applied) ignores."""
    from sim.errors import ConfigError
    from sim.scenario_files import load_scenario
    from sim.sweep.experiment import load_experiment

    try:
        path, _, spec = load_experiment(experiment)
        base = path.parent / spec.scenario if spec.scenario.endswith(".toml") else spec.scenario
        cfg = load_scenario(base)
        varied = list(spec.design.varied(str(path)))
    except ConfigError:
        return None  # the sweep itself reports a bad file, with its message
    mode = {**spec.design.implicit, **spec.fixed}.get("levers.mode", cfg.levers.mode)
    cfg = cfg.model_copy(update={"levers": cfg.levers.model_copy(update={"mode": mode})})
    message = ignored_message(cfg, [*spec.fixed, *varied])
    if message:
        print(f"warning: {path.name}: {message}", file=stream or sys.stderr)
    return message
