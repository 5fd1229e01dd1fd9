"""The page's controls, built from the scenario schema (``sim.config``), and the scenario they make.

A control is a dotted key of the schema (``sim.keys``) with a plain label; its bounds, type, unit
and description (the tooltip) come from the field, its starting value from the scenario viewed.
Which lever mode reads a control is ``sim.lever_modes``' rule: the page disables the others.
Every value the page sends is validated by the schema (:func:`page_config`), which says what is
wrong in a message instead of raising a traceback.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

from sim import keys, lever_modes
from sim.config import LEVERS, Scenario
from sim.errors import ConfigError
from sim.scenario_files import validate

# (dotted key, plain label); the group a control is shown under is its section's
LEVER_CONTROLS = (
    ("levers.process", "Process"), ("levers.advocates", "Advocates"),
    ("levers.culture", "Culture"), ("levers.technology", "Technology"),
    ("levers.budget.total", "Total budget"),
    ("levers.budget.process", "Share of the budget: Process"),
    ("levers.budget.advocates", "Share of the budget: Advocates"),
    ("levers.budget.culture", "Share of the budget: Culture"),
    ("levers.budget.technology", "Share of the budget: Technology"),
    ("levers.schedule.order", "Order in which the levers switch on"),
    ("levers.schedule.starts.0", "Week the 1st lever switches on"),
    ("levers.schedule.starts.1", "Week the 2nd lever switches on"),
    ("levers.schedule.starts.2", "Week the 3rd lever switches on"),
    ("levers.schedule.starts.3", "Week the 4th lever switches on"),
    ("levers.schedule.level_on", "Level once switched on"),
    ("levers.schedule.level_off", "Level before switching on"),
    ("levers.shape", "Diminishing returns (response curve shape)"),
)
MODEL_CONTROLS = (
    ("behaviour.velocity", "Looking at others' solutions"),
    ("behaviour.q_adopt", "Platform word of mouth among colleagues"),
    ("behaviour.n_flip_hero", "Bits a HERO changes when exploring"),
    ("behaviour.copy_error", "Copy error"),
    ("behaviour.p_turnover", "Staff turnover"),
    ("customers.q_wom", "Customer word of mouth"),
    ("landscape.p_turbulence", "Market turbulence"),
    ("landscape.nk_k", "Complexity of the customers' problem"),
)
MODE_LABELS = {"direct": "levels (set each lever)", "budget": "budget (shares of a total)",
               "schedule": "schedule (levers switch on in order)"}
ORDER_SEP = " → "
SEED_MAX = 2**63 - 1


@dataclass(frozen=True)
class Control:
    """One control of the page: ``kind`` is ``float``, ``int`` or ``order`` (a choice of the 24
    orders of the levers); ``mode``: the lever mode that reads it (None: every mode)."""

    key: str
    label: str
    tooltip: str
    unit: str
    kind: str
    low: float
    high: float
    step: float
    mode: str | None

    def value(self, cfg: Scenario) -> Any:
        """The control's value in ``cfg`` (an order as ``process → advocates → ...``)."""
        v = keys.get(cfg.model_dump(mode="json"), keys.resolve(self.key).path)
        return ORDER_SEP.join(v) if self.kind == "order" else v

    def text(self, value: Any) -> str:
        """The value as the page shows it next to the label, with the unit."""
        if self.kind == "order":
            return str(value)
        shown = f"{value:d}" if self.kind == "int" else f"{value:.{_decimals(self.step)}f}"
        return f"{shown} {self.unit}".strip()


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step))) if step > 0 else 2


def bounds(key: keys.Key) -> tuple[float, float]:
    """(low, high) of a key from its ge/gt/le/lt constraints; ValueError without both."""
    lo = hi = None
    for m in key.metadata:
        lo = getattr(m, "ge", getattr(m, "gt", lo))
        hi = getattr(m, "le", getattr(m, "lt", hi))
    if lo is None or hi is None:
        raise ValueError(f"{key.name} has no bounds: it cannot be a slider")
    return lo, hi


def _unit(unit: str) -> str:
    """The unit as shown after a value (the schema's "level [0, 1]" reads "level")."""
    return unit.split(" [")[0].replace("steps (weeks)", "weeks").replace("steps", "weeks")


def _slider_step(key: str, lo: float, hi: float, value: float) -> float:
    """A step fine enough for the value (p_turnover = 0.0025 needs 1e-4), never coarser than a
    hundredth of the range."""
    step = (hi - lo) / 100
    if value > 0:
        step = min(step, 10 ** math.floor(math.log10(value)) / 10)
    return step


def control(key: str, label: str, cfg: Scenario) -> Control:
    """The :class:`Control` of ``key`` for scenario ``cfg``."""
    k = keys.resolve(key)
    info = k.field
    extra = info.json_schema_extra or {}
    unit = extra.get("unit", "")
    tooltip = f"{info.description}" + (f" ({unit})" if unit else "") + f". Key: {key}"
    mode = lever_modes.mode_of_key(key)
    if key == "levers.schedule.order":
        return Control(key, label, tooltip, "", "order", 0, 0, 0, mode)
    if k.annotation is int and key.startswith("levers.schedule.starts"):
        return Control(key, label, tooltip, "", "int", 0, min(cfg.run.steps, 5200), 1, mode)
    lo, hi = bounds(k)
    value = keys.get(cfg.model_dump(mode="json"), k.path)
    if k.annotation is int:
        return Control(key, label, tooltip, _unit(unit), "int", int(lo), int(hi), 1, mode)
    if key == "levers.budget.total":
        return Control(key, label, tooltip, "levers' worth", "float", lo, hi, 0.05, mode)
    step = _slider_step(key, lo, hi, value)
    return Control(key, label, tooltip, _unit(unit), "float", float(lo), float(hi), step, mode)


def controls(cfg: Scenario, table: tuple[tuple[str, str], ...] = LEVER_CONTROLS + MODEL_CONTROLS
             ) -> list[Control]:
    """Every control of the page for ``cfg``, in the order shown."""
    return [control(key, label, cfg) for key, label in table]


def orders() -> list[str]:
    """The 24 orders of the levers as the order control offers them."""
    return [ORDER_SEP.join(p) for p in itertools.permutations(LEVERS)]


def active(c: Control, mode: str) -> bool:
    """Whether a scenario in lever mode ``mode`` reads control ``c`` (``sim.lever_modes``)."""
    return lever_modes.is_read(mode, c.key)


def parse_seed(text: str) -> int:
    """A seed typed in the page: a whole number in the schema's range, else ConfigError."""
    text = str(text).strip()
    lo, hi = bounds(keys.resolve("run.seed"))
    try:
        seed = int(text, 10)
    except ValueError:
        raise ConfigError(f"seed {text!r}: must be a whole number from {lo} to {hi}") from None
    if not lo <= seed <= hi:
        raise ConfigError(f"seed {seed}: must be from {lo} to {hi}")
    return seed


def parse_count(text: str, low: int, high: int, what: str) -> int:
    """A count typed in the page (e.g. how many seeds), in [low, high], else ConfigError."""
    try:
        n = int(str(text).strip(), 10)
    except ValueError:
        raise ConfigError(f"{what} {text!r}: must be a whole number from {low} to {high}") from None
    if not low <= n <= high:
        raise ConfigError(f"{what} {n}: must be from {low} to {high}")
    return n


def page_config(base: Scenario, mode: str, values: dict[str, Any]) -> Scenario:
    """``base`` with the lever mode and the controls' values (dotted key -> value) applied and
    validated by the schema: a bad value raises :class:`ConfigError` naming the key."""
    if mode not in lever_modes.MODES:
        raise ConfigError(f"lever mode {mode!r}: allowed: {', '.join(lever_modes.MODES)}")
    data = base.model_dump(mode="json")
    data["levers"]["mode"] = mode
    for key, value in values.items():
        try:
            k = keys.resolve(key)
        except ValueError as e:
            raise ConfigError(f"view: {e}") from None
        if key == "levers.schedule.order" and isinstance(value, str):
            value = [part.strip() for part in value.split(ORDER_SEP.strip())]
        keys.put(data, k.path, value)
    return validate(data, "the page's settings")


def changed(cfg: Scenario, running: Scenario) -> list[str]:
    """Labels of the settings in which ``cfg`` differs from ``running`` (what a new run changes)."""
    a, b = cfg.model_dump(mode="json"), running.model_dump(mode="json")
    out = [] if a["levers"]["mode"] == b["levers"]["mode"] else ["lever mode"]
    for key, label in LEVER_CONTROLS + MODEL_CONTROLS:
        path = keys.resolve(key).path
        if keys.get(a, path) != keys.get(b, path):
            out.append(label)
    return out


def levers_text(cfg: Scenario) -> str:
    """What the levers are in ``cfg``'s mode, in words, for the outcome card."""
    lv = cfg.levers
    if lv.mode == "direct":
        return ", ".join(f"{n.capitalize()} {getattr(lv, n):.2f}" for n in LEVERS)
    if lv.mode == "budget":
        return (f"budget {lv.budget.total:g}: " + ", ".join(
            f"{n.capitalize()} {min(1.0, lv.budget.total * getattr(lv.budget, n)):.2f}"
            for n in LEVERS))
    sch = lv.schedule
    return ("schedule: " + ", ".join(f"{n.capitalize()} from week {s}"
                                      for n, s in zip(sch.order, sch.starts, strict=True))
            + f"; {sch.level_off:g} before, {sch.level_on:g} after")
