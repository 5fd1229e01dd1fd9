"""The Mesa formulation of the PACT model: ``InnovationModel`` (ODD section 3).

The readable statement of the model: employees and customers as Mesa agents (``sim.agents``), each
a view of its row of the run's state (``sim.state``), and an organisation (the deployed solution,
the organisational code, the funnel) and a market (the NK landscape) held in the same state.
``step()`` runs the phases in the order ``sim.phases.STEP`` lists: agent by agent where a phase
decides per agent (each agent calls the same per-agent rule as the kernel, with the same
counter-based draw), and through the same compiled function where the organisation decides (the
funnel, turbulence, the metrics). So ``sim.simulate(..., backend="mesa")`` reproduces the kernel's
series bit for bit (tests/test_mesa_equivalence.py); agents are visited in row order, neighbours in
CSR order, as in the kernel.

Mesa's ``Network`` space is not used: its neighbourhoods follow networkx's insertion order, not the
CSR order the sums need, and building it computes a spring layout (docs/ARCHITECTURE.md, stack
notes). Mesa's ``self.random`` and ``self.rng`` are never used for model decisions.
"""

from __future__ import annotations

from pathlib import Path

import mesa
import numba
import numpy as np

from sim.agents import RULES, Customer, Employee
from sim.config import Scenario
from sim.measure import measure
from sim.metrics import Series, Tally, outcomes
from sim.params import Inputs, build_inputs
from sim.phases import STEP, Phase, begin_step, funnel, key, show_rows
from sim.rng import Stream
from sim.rules.market import adoption_share, turbulence
from sim.rules.search import feed_pool
from sim.scenario_files import load_scenario
from sim.state import new_state
from sim.world import World, build_world

_AGENT_KEY = np.uint64 if numba.config.DISABLE_JIT else int


class InnovationModel(mesa.Model):
    """A Social Innovation Network: employees, customers and the organisation, one step a week.

    config: a :class:`Scenario` or a scenario name / path; seed: run seed (default
    ``config.run.seed``); steps: horizon in steps (default ``config.run.steps``); ``running`` turns
    False at the horizon. ``world`` and ``inputs`` (built from config and seed when omitted) let a
    caller share them with the kernel. ``state`` is the run's state and ``rows`` its arrays by name;
    after each step ``series[step - 1]`` holds the metrics row (``sim.metrics.Series``),
    ``lead_hist`` launches by lead time and ``tally`` run counters.
    """

    def __init__(self, config: Scenario | str | Path = "baseline", seed: int | None = None,
                 steps: int | None = None, *, world: World | None = None,
                 inputs: Inputs | None = None) -> None:
        cfg = config if isinstance(config, Scenario) else load_scenario(config)
        seed = cfg.run.seed if seed is None else int(seed)
        steps = cfg.run.steps if steps is None else int(steps)
        # Mesa's own generators are seeded so Mesa's internals are reproducible; no rule uses them.
        super().__init__(rng=seed)
        self.config = cfg
        self.seed = seed
        self.horizon = steps
        self.world = build_world(cfg, seed) if world is None else world
        inputs = build_inputs(cfg, steps) if inputs is None else inputs
        self.stop_at_equilibrium = bool(inputs.stop_converged)
        self.state = new_state(self.world, inputs, seed, steps)  # R0 done
        self.rows = self.state.arrays
        RULES.bind()  # the rules' entry points, as the agents call them (sim.agents)
        self.mech = self.rows["mech"]
        self.series, self.lead_hist, self.tally = (self.rows["series"], self.rows["lead_hist"],
                                                   self.rows["tally"])
        self.employees = [Employee(self, i) for i in range(self.world.population.n_employees)]
        self.customers = [Customer(self, c) for c in range(self.world.population.n_customers)]
        self._phases = {Phase.PLATFORM: self.adopt_platform, Phase.EMPOWER: self.empower,
                        Phase.SEARCH: self.search, Phase.SUBMIT: self.submit,
                        Phase.FUNNEL: self.run_funnel, Phase.LEARN: self.learn,
                        Phase.MARKET: self.market, Phase.MEASURE: self.measure}

    @property
    def t(self) -> int:
        """Index of the step being run (0 for the first); Mesa counts ``steps`` from 1."""
        return self.steps - 1

    @property
    def mech_now(self) -> np.ndarray:
        """The mechanism row (``sim.params.Mech``) of the current step (the first before it)."""
        return self.mech[max(self.t, 0)]

    def key(self, stream: Stream) -> np.uint64:
        """The counter-based key of ``stream`` at the current step (D-RNG), typed for Numba's
        dispatcher (what the organisation's functions take)."""
        return np.uint64(key(self.state, stream))

    def agent_key(self, stream: Stream) -> int | np.uint64:
        """The same key as the agents pass it to their rules (``sim.agents.RULES``): a Python int,
        which a compiled entry point unboxes faster than a NumPy scalar (np.uint64 under
        ``NUMBA_DISABLE_JIT=1``, where the draws are NumPy arithmetic)."""
        return _AGENT_KEY(key(self.state, stream))

    def step(self) -> None:
        """One week: the phases in the order of ``sim.phases.STEP``."""
        if self.t >= self.horizon:
            self.running = False
            return
        begin_step(self.state, self.t)
        for phase in STEP:
            self._phases[phase]()
        converged = self.series[self.t, Series.CONVERGED] == 1.0
        self.running = self.steps < self.horizon and not (self.stop_at_equilibrium and converged)

    # --- the phases: agent by agent where agents decide, the kernel's function where the
    # organisation does ---
    def adopt_platform(self) -> None:
        """Phase 1 (R1): every employee plans from the state at the start of the phase, then applies."""
        k = self.agent_key(Stream.PLATFORM)
        show_rows(self.state)
        for e in self.employees:
            e.plan_platform(k)
        for e in self.employees:
            e.apply_platform()

    def empower(self) -> None:
        """Phase 2 (R2a, R2b): each employee's own flags."""
        k = self.agent_key(Stream.EMPOWER)
        for e in self.employees:
            e.empower(k)

    def search(self) -> None:
        """Phase 3 (R3, R3f, R3s): the feed's posts are fixed first (the platform's function);
        every employee plans, then applies."""
        feed_pool(self.state, self.key(Stream.FEED))
        show_rows(self.state)
        k, k_feed, k_share, k_judge = (self.agent_key(Stream.SEARCH), self.agent_key(Stream.FEED),
                                       self.agent_key(Stream.SHARE), self.agent_key(Stream.JUDGE))
        for e in self.employees:
            e.plan_search(k, k_feed, k_share, k_judge)
        for e in self.employees:
            e.apply_search()

    def submit(self) -> None:
        """Phase 4 (R4): ideas into the stage gate's slots."""
        k = self.agent_key(Stream.SUBMIT)
        for e in self.employees:
            e.submit(k)

    def run_funnel(self) -> None:
        """Phase 5 (R5): the organisation's rule set, the kernel's own function."""
        funnel(self.state)

    def learn(self) -> None:
        """Phase 6 (R6a, R6b, R6c): each employee's own row."""
        k_soc, k_turn = self.agent_key(Stream.SOCIALIZE), self.agent_key(Stream.TURNOVER)
        for e in self.employees:
            e.learn(k_soc, k_turn)

    def market(self) -> None:
        """Phase 7: customers plan and apply adoption (R7a), the share that adopted is counted
        (R7s), then the market may move (R7b, R7c)."""
        k = self.agent_key(Stream.CUSTOMER)
        for c in self.customers:
            c.plan_adoption(k)
        for c in self.customers:
            c.apply_adoption()
        adoption_share(self.state)
        turbulence(self.state, self.key(Stream.TURBULENCE))

    def measure(self) -> None:
        """Phase 8: the step's metrics into ``series[t]``, the kernel's own function."""
        measure(self.state)

    # --- outputs ---
    def outcomes(self) -> dict:
        """Per-run outcomes (docs/ODD.md section 7.8) over the steps run so far (empty dict before
        the first)."""
        done = int(self.tally[Tally.STEPS_RUN])
        if done == 0:
            return {}
        return outcomes(self.series[:done], self.lead_hist, self.tally,
                        self.config.run.target_fitness)
