"""The live run of a browser session: the Mesa model stepped by the page, with what the page shows
of it (the series so far, the outcome card, the network's marks) and the time each step took.

One :class:`LiveRun` per run: a new run from week 0 is a new object (the page keeps the previous
one's curves as a faded trace).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import numpy as np

from sim.config import Scenario
from sim.metrics import Series, Tally
from sim.params import Mech

if TYPE_CHECKING:
    from sim.model import InnovationModel


class LiveRun:
    """``cfg`` run on ``seed`` by the Mesa model, one step at a time (thread-safe: the page's Play
    loop and its buttons may step it from different threads)."""

    def __init__(self, cfg: Scenario, seed: int) -> None:
        from sim.model import InnovationModel

        self.config = cfg
        self.seed = seed
        self.model: InnovationModel = InnovationModel(cfg, seed=seed)
        self.horizon = self.model.horizon
        self.step_seconds: list[float] = []  # model time of each step
        self.launched = np.zeros(len(self.model.employees), bool)
        self._lock = threading.Lock()

    @property
    def done(self) -> int:
        """Weeks run so far."""
        return int(self.model.tally[Tally.STEPS_RUN])

    @property
    def finished(self) -> bool:
        """True at the horizon, or when the run stopped early (March's equilibrium)."""
        return not self.model.running or self.done >= self.horizon

    def step(self) -> bool:
        """One week; False (and nothing done) when the run is finished."""
        with self._lock:
            if self.finished:
                return False
            pilot = self.model.rows["idea_stage"] == 2  # Stage.PILOT
            t = time.perf_counter()
            self.model.step()
            self.step_seconds.append(time.perf_counter() - t)
            self._mark_launched(pilot)
            return True

    def _mark_launched(self, was_pilot: np.ndarray) -> None:
        """Employees whose idea was launched this step: the pilots that left the funnel, when
        their number equals the step's launches (every one launched). A step where some pilots
        were rejected or withdrawn marks none: the state does not say which were launched."""
        launches = int(self.model.series[self.done - 1, Series.LAUNCHES])
        if launches == 0:
            return
        left = was_pilot & (self.model.rows["idea_stage"] == -1)  # Stage.NONE
        if int(left.sum()) == launches:
            self.launched |= left

    def snapshot(self) -> np.ndarray:
        """A copy of the series so far (weeks run, ``sim.metrics.Series`` columns), taken while no
        step runs: a chart drawn from it is of one week, even while Play steps."""
        with self._lock:
            return self.model.series[:self.done].copy()

    def series(self, column: Series) -> tuple[np.ndarray, np.ndarray]:
        """(weeks 1..done, values) of a series column."""
        s = self.snapshot()
        return np.arange(1, s.shape[0] + 1), s[:, column]

    def marks(self) -> dict[str, np.ndarray]:
        from sim.view_network import employee_marks

        return employee_marks(self.model.rows, self.model.mech_now[Mech.N_ADVOCATES])

    def network_png(self) -> bytes:
        """The employees' overlay of the network picture at this step (``sim.view_network``)."""
        from sim.view_network import overlay_png

        with self._lock:
            return overlay_png(self.model.world, self.marks(), self.launched)

    def outcome_rows(self) -> list[tuple[str, str]]:
        """The outcome card: (name, value with its unit) rows, from the run so far."""
        from sim.view_controls import levers_text

        with self._lock:  # the week and the outcomes of one step, even while Play steps
            done = self.done
            out = self.model.outcomes()
        rows = [("weeks run", f"{done} of {self.horizon}"), ("seed", str(self.seed)),
                ("levers", levers_text(self.config))]
        if done == 0:
            return rows
        target = self.config.run.target_fitness

        def num(x: float, unit: str = "") -> str:
            return "—" if x != x else f"{x:.3g}{unit}"

        speed = (f"not yet ({done} weeks so far)" if out["innovation_censored"]
                 else f"{out['innovation_speed']} weeks")
        return rows + [
            (f"weeks to deployed fitness {target:g}", speed),
            ("deployed fitness", f"{num(out['final_fitness'])} (1 = the best solution)"),
            ("launches", f"{out['launches']} ideas"),
            ("lead time, median / p90",
             f"{num(out['lead_time_median'])} / {num(out['lead_time_p90'])} weeks"),
            ("platform adoption", num(100 * out["final_platform_adoption"], " % of employees")),
            ("HERO share", num(100 * out["final_hero_share"], " % of employees")),
            ("customer value", f"{num(out['customer_value'])} (adoption share × deployed "
                               "fitness, summed over weeks)"),
        ]
