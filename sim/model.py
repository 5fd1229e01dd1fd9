"""The Mesa formulation of the PACT model: ``InnovationModel`` (ODD section 3).

The plain statement of the model: agents with attributes (``sim.agents``), and an organisation (the
deployed solution, the organisational code, the funnel) and a market (the NK landscape) held by the
model. ``step()`` runs the eight phases in the documented order, agent by agent, each decision made
by the same compiled rule in ``sim.rules`` as the Numba kernel with the same counter-based draw, so
``sim.simulate(..., backend="mesa")`` reproduces the kernel's series bit for bit (tested in
tests/test_mesa_equivalence.py). Agents are visited in node order and neighbours in CSR order, the
kernel's orders, so floating-point sums match too.

Mesa's ``Network`` space is not used: its neighbourhoods follow networkx's insertion order, not the
CSR order the sums need, and building it computes a spring layout (STACK.md). Each agent holds its
ties instead (``Employee.colleagues``, ``Customer.peers``) read from the CSR graph. Mesa's
``self.random`` and ``self.rng`` are never used for model decisions.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import mesa
import numpy as np

from sim.agents import Customer, Employee, Idea, source_fitness
from sim.config import Scenario, load_scenario
from sim.landscape import expected_fitness, fitness, flip_row, global_max_score, redraw_row
from sim.metrics import Series, Tally, outcomes
from sim.params import Const, FunnelRule, Inputs, Mech, build_inputs
from sim.population import Group, Stage
from sim.rng import Stream, key_for
from sim.rules.advocates import idea_priority, stage_duration
from sim.rules.market import reality_flips, turbulence_row
from sim.rules.process import absorb, act, code_knowledge, code_learn, gate_passes, reviews_allowed, withdrawn
from sim.rules.search import better_source, random_solution
from sim.rules.technology import ACTIVE, LAPSED
from sim.world import World, build_world

PHASES = ("adopt_platform", "empower", "search", "submit", "run_funnel", "learn", "market", "measure")


class ProblemLandscape:
    """The customers' problem (ODD 7.1): an NK landscape, or March's reality; turbulence moves it
    (R7b, R7c). ``table`` is the model's own copy: turbulence changes it during a run."""

    def __init__(self, dep: np.ndarray, table: np.ndarray, max_score: float, exponent: float,
                 optimum: int, reality: bool) -> None:
        self.dep = dep
        self.table = table.copy()
        self.max_score = max_score
        self.exponent = exponent
        self.optimum = optimum
        self.reality = reality
        self.nk_n = int(dep.shape[0])

    def fitness(self, solution: int) -> float:
        """Normalised fitness in [0, 1] of an ``nk_n``-bit solution."""
        return fitness(solution, self.dep, self.table, self.max_score, self.exponent)

    def expected_fitness(self, solution: int, known: int) -> float:
        """Fitness of the expected score of acting on ``solution`` with undecided bits random."""
        return expected_fitness(solution, known, self.dep, self.table, self.max_score, self.exponent)

    def turbulence(self, p_turbulence: float, key: np.uint64) -> bool:
        """R7b: maybe redraw one bit's contributions (NK); R7c: each bit of reality may flip
        (March's p4). Returns whether the landscape moved."""
        if self.reality:
            flips = reality_flips(p_turbulence, self.nk_n, key)
            for b in range(self.nk_n):
                if (flips >> b) & 1:
                    flip_row(self.table, b)
            moved = flips != 0
        else:
            row = turbulence_row(p_turbulence, self.nk_n, key)
            if row >= 0:
                redraw_row(self.table, row, key)
            moved = row >= 0
        if moved:
            self.max_score, self.optimum = global_max_score(self.dep, self.table)
        return moved


def _named(values: np.ndarray, names: type) -> SimpleNamespace:
    """One row of parameters as attributes (``m.p_share``) in Python floats, for readability."""
    return SimpleNamespace(**{k.name.lower(): float(values[k]) for k in names})


class InnovationModel(mesa.Model):
    """A Social Innovation Network: employees, customers and the organisation, one step a week.

    config: a :class:`Scenario` or a scenario name / path; seed: run seed (default
    ``config.run.seed``); steps: horizon in steps (default ``config.run.steps``); ``running`` turns
    False at the horizon. ``world`` and ``inputs`` (built from config and seed when omitted) let a
    caller share them with the kernel. After each step ``series[step - 1]`` holds the metrics row
    (``sim.metrics.Series``), ``lead_hist`` launches by lead time and ``tally`` run counters.
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
        world = build_world(cfg, seed) if world is None else world
        inputs = build_inputs(cfg, steps) if inputs is None else inputs
        self.world = world
        self.mech = inputs.mech
        self.const = _named(inputs.const, Const)
        self.const.n_flip_hero = int(self.const.n_flip_hero)
        self.adoption_rule = inputs.adoption_rule
        self.funnel_rule = inputs.funnel_rule
        self.socialization_rule = inputs.socialization_rule
        self.stop_at_equilibrium = bool(inputs.stop_converged)
        self.mech_now = _named(self.mech[0], Mech)

        pop, g, land = world.population, world.graph, world.landscape
        self.landscape = ProblemLandscape(land.dep, land.table, land.max_score, land.exponent,
                                          land.optimum, bool(inputs.reality))
        n_emp = pop.n_employees
        unit, emp, res = pop.unit.tolist(), pop.empowered.tolist(), pop.resourceful.tolist()
        thr, rank = world.threshold.tolist(), g.adv_rank.tolist()
        contacts, plat0 = g.contacts.tolist(), world.platform0.tolist()
        p_soc = world.p_socialize.tolist()
        self.employees: list[Employee] = [
            Employee(self, i, unit[i], emp[i], res[i], thr[i], rank[i], contacts[i], plat0[i],
                     p_soc[i])
            for i in range(n_emp)]
        self.customers: list[Customer] = [
            Customer(self, c, flag) for c, flag in enumerate(pop.influencer.tolist())]
        self._wire(g.indptr, g.nbr, g.kind, g.eu)

        # R0: initial solutions; the deployed solution and the code are one more random solution
        key = key_for(seed, Stream.INIT_SOLUTION, 0)
        for e in self.employees:
            e.start(key)
        self.deployed = random_solution(self.landscape.nk_n, key, n_emp, 0)
        self.deployed_fitness = self.landscape.fitness(self.deployed)
        # the code starts as the deployed solution, or blank: every belief undecided (March)
        blank = bool(inputs.code_blank)
        self.code = 0 if blank else self.deployed
        self.code_known = 0 if blank else (1 << self.landscape.nk_n) - 1
        self.code_fitness = self.landscape.fitness(self.code)
        self.code_at_start = (self.code, self.code_known)  # the code as of step t (phase 6 reads it)
        self.initial_fitness = self.deployed_fitness
        self.funnel: list[Idea] = []  # ideas in the funnel, in submission order

        self.series = np.zeros((steps, len(Series)), np.float64)
        self.lead_hist = np.zeros(steps + 1, np.int64)
        self.tally = np.zeros(len(Tally), np.float64)
        self.tally[Tally.INITIAL_DEPLOYED] = self.deployed_fitness
        self.lapses = self.submissions = self.launches = 0
        self.moved = False  # the market moved this step

    def _wire(self, indptr: np.ndarray, nbr: np.ndarray, kind: np.ndarray, eu: np.ndarray) -> None:
        """Give each agent its ties in CSR order: colleagues (kinds below EMP_CUST) and
        word-of-mouth peers (CUST_CUST)."""
        from sim.graph import EdgeKind

        n_emp = len(self.employees)
        indptr, nbr, kind, eu = indptr.tolist(), nbr.tolist(), kind.tolist(), eu.tolist()
        for e in self.employees:
            for k in range(indptr[e.index], indptr[e.index + 1]):
                if kind[k] >= EdgeKind.EMP_CUST:
                    break  # a row is sorted by kind: colleagues come first
                e.colleagues.append((self.employees[nbr[k]], kind[k], eu[k]))
        for c in self.customers:
            node = n_emp + c.number
            c.peers = [self.customers[nbr[k] - n_emp] for k in range(indptr[node], indptr[node + 1])
                       if kind[k] == EdgeKind.CUST_CUST]

    @property
    def t(self) -> int:
        """Index of the step being run (0 for the first); Mesa counts ``steps`` from 1."""
        return self.steps - 1

    def key(self, stream: Stream) -> np.uint64:
        """The counter-based key of ``stream`` at the current step (D-RNG)."""
        return key_for(self.seed, stream, self.t)

    def step(self) -> None:
        """One week: the eight phases in the documented order (ODD section 3)."""
        if self.t >= self.horizon:
            self.running = False
            return
        self.mech_now = _named(self.mech[self.t], Mech)
        for phase in PHASES:
            getattr(self, phase)()
        converged = self.series[self.t, Series.CONVERGED] == 1.0
        self.running = self.steps < self.horizon and not (self.stop_at_equilibrium and converged)

    # --- phase 1 ---
    def adopt_platform(self) -> None:
        """Platform adoption (R1): every employee plans from the state at the start of the phase."""
        key = self.key(Stream.PLATFORM)
        for e in self.employees:
            e.plan_platform(key)
        self.lapses = sum(e.apply_platform() for e in self.employees)

    # --- phase 2 ---
    def empower(self) -> None:
        """Empowerment (R2a, R2b): each employee's own flags only."""
        key = self.key(Stream.EMPOWER)
        for e in self.employees:
            e.empower(key)

    # --- phase 3 ---
    def feed(self) -> Employee | None:
        """R3f: the best solution shared by an active user (the first such employee wins ties)."""
        best = None
        for e in self.employees:
            if e.shared and e.platform == ACTIVE and better_source(e.fitness, best is not None,
                                                                   source_fitness(best)):
                best = e
        return best

    def search(self) -> None:
        """Search and sharing (R3, R3s)."""
        feed = self.feed()
        key, key_feed, key_share = (self.key(Stream.SEARCH), self.key(Stream.FEED),
                                    self.key(Stream.SHARE))
        for e in self.employees:
            e.plan_search(feed, key, key_feed, key_share)
        for e in self.employees:
            e.apply_search()

    # --- phase 4 ---
    def submit(self) -> None:
        """Submission (R4), stage-gate funnel only."""
        self.submissions = 0
        if self.funnel_rule != FunnelRule.STAGE_GATE:
            return
        key = self.key(Stream.SUBMIT)
        for e in self.employees:
            idea = e.submit(self.t, key)
            if idea is not None:
                self.funnel.append(idea)
                self.submissions += 1

    # --- phase 5 ---
    def run_funnel(self) -> None:
        """Organisation-level learning by the scenario's rule set: stage gate, March's code, none."""
        self.launches = 0
        self.code_at_start = (self.code, self.code_known)
        if self.funnel_rule == FunnelRule.STAGE_GATE:
            self.stage_gate()
        elif self.funnel_rule == FunnelRule.MARCH_CODE:
            self.march_code()
        self.tally[Tally.LAUNCHES] += self.launches

    def stage_gate(self) -> None:
        """Stage gate (R5c, R5s, R5p, R5w, R5g, R5a): later stages first; a stage reviews its
        eligible ideas in priority order up to its capacity; the best launch is deployed."""
        t, m, land = self.t, self.mech_now, self.landscape
        n_emp = len(self.employees)
        key_gate, key_code = self.key(Stream.GATE), self.key(Stream.CODE)
        capacity = reviews_allowed(m.capacity, t)
        durations = {Stage.SCREEN: m.dur_screen, Stage.DEVELOP: m.dur_develop, Stage.PILOT: m.dur_pilot}
        new_dep, new_fit = self.deployed, self.deployed_fitness
        for stage in (Stage.PILOT, Stage.DEVELOP, Stage.SCREEN):
            due = [idea for idea in self.funnel if idea.stage == stage and t - idea.t_stage
                   >= stage_duration(durations[stage], idea.sponsored, m.sponsor_speed)]
            if not due or capacity == 0:
                continue
            due.sort(key=lambda idea: idea_priority(idea.sponsored, idea.t_submit,
                                                    idea.submitter.index, n_emp))
            reviewed = 0
            for idea in due:
                if reviewed == capacity:
                    break
                who = idea.submitter
                idea_fit = land.fitness(idea.solution)
                if withdrawn(idea_fit, self.deployed_fitness):
                    self._leave_funnel(idea)
                    continue
                reviewed += 1
                if not gate_passes(idea_fit - self.deployed_fitness, m.gate_noise, who.contacts,
                                   self.const.rel_contact, self.const.gate_bar, key_gate, who.index,
                                   int(stage)):
                    self._leave_funnel(idea)
                    continue
                if stage < Stage.PILOT:
                    idea.stage = Stage(stage + 1)
                    idea.t_stage = t
                    continue
                self._leave_funnel(idea)  # launched
                self.launches += 1
                self.lead_hist[t - idea.t_submit] += 1
                if idea.origin != who.unit:
                    self.tally[Tally.CROSSED] += 1
                self.code = absorb(self.code, idea.solution, land.nk_n, m.p_absorb, key_code, who.index)
                if idea_fit > new_fit:
                    new_dep, new_fit = idea.solution, idea_fit
        self.deployed, self.deployed_fitness = new_dep, new_fit
        self.code_fitness = land.fitness(self.code)

    def _leave_funnel(self, idea: Idea) -> None:
        self.funnel.remove(idea)
        idea.submitter.idea = None

    def march_code(self) -> None:
        """March (1991) code learning (R5m) from the superior group: employees whose action (R5n:
        coin flips where undecided) scores above the code's expected score. The code is deployed."""
        land = self.landscape
        key_act = self.key(Stream.ACT)
        code_score = land.expected_fitness(self.code, self.code_known)
        ones = np.zeros(land.nk_n, np.int64)
        n_superior = 0
        for e in self.employees:
            action = act(e.solution, e.known, land.nk_n, key_act, e.index)
            action_fit = e.fitness if action == e.solution else land.fitness(action)
            if action_fit > code_score:
                n_superior += 1
                for b in range(land.nk_n):
                    ones[b] += (action >> b) & 1
        code, known = code_learn(self.code, self.code_known, ones, n_superior, land.nk_n,
                                 self.mech_now.p_code_learn, self.key(Stream.CODE))
        if code != self.code or known != self.code_known:
            self.launches = 1
            self.code, self.code_known = code, known
            self.code_fitness = land.fitness(code)
            self.deployed, self.deployed_fitness = self.code, self.code_fitness

    # --- phase 6 ---
    def learn(self) -> None:
        """Socialization (R6a) and turnover (R6b, R6c): each employee's own state only."""
        key_soc, key_turn = self.key(Stream.SOCIALIZE), self.key(Stream.TURNOVER)
        code, code_known = self.code_at_start
        for e in self.employees:
            e.learn(code, code_known, key_soc, key_turn)

    # --- phase 7 ---
    def market(self) -> None:
        """Customers adopt (R7a), then the market may move (R7b)."""
        key = self.key(Stream.CUSTOMER)
        gain = self.deployed_fitness - self.initial_fitness
        for c in self.customers:
            c.plan_adoption(gain, key)
        for c in self.customers:
            c.apply_adoption()
        land = self.landscape
        self.moved = land.turbulence(self.const.p_turbulence, self.key(Stream.TURBULENCE))
        if self.moved:
            for e in self.employees:
                e.fitness = land.fitness(e.solution)
            self.deployed_fitness = land.fitness(self.deployed)
            self.code_fitness = land.fitness(self.code)

    # --- phase 8 ---
    def measure(self) -> None:
        """Metrics of the step (ODD 7.8) into ``series[t]``, summed in employee order."""
        n_emp = len(self.employees)
        n_cust = len(self.customers)
        best = max(self.deployed_fitness, self.code_fitness)
        n_hero = n_locked = n_rogue = n_lapsed = n_users = n_ever = 0
        total_fit = 0.0
        for e in self.employees:
            if e.fitness > best:
                best = e.fitness
            total_fit += e.fitness
            grp = e.group
            n_hero += grp == Group.HERO
            n_locked += grp == Group.LOCKED_DOWN
            n_rogue += grp == Group.ROGUE
            n_users += e.platform == ACTIVE
            n_lapsed += e.platform == LAPSED
            n_ever += e.ever_submitted
        in_stage = {stage: 0 for stage in (Stage.SCREEN, Stage.DEVELOP, Stage.PILOT)}
        for idea in self.funnel:
            in_stage[idea.stage] += 1
        n_adopted = sum(c.adopted for c in self.customers)
        row = self.series[self.t]
        row[Series.DEPLOYED_FITNESS] = self.deployed_fitness
        row[Series.BEST_FITNESS] = best
        row[Series.CODE_FITNESS] = self.code_fitness
        row[Series.MEAN_FITNESS] = total_fit / n_emp
        row[Series.IDEAS_SCREEN] = in_stage[Stage.SCREEN]
        row[Series.IDEAS_DEVELOP] = in_stage[Stage.DEVELOP]
        row[Series.IDEAS_PILOT] = in_stage[Stage.PILOT]
        row[Series.SUBMISSIONS] = self.submissions
        row[Series.LAUNCHES] = self.launches
        row[Series.PLATFORM_USERS] = n_users / n_emp
        row[Series.LAPSES] = self.lapses
        row[Series.HERO_SHARE] = n_hero / n_emp
        row[Series.PARTICIPATION] = n_ever / n_emp
        row[Series.CUSTOMER_ADOPTION] = n_adopted / n_cust if n_cust > 0 else 0.0
        row[Series.ADVOCATES] = min(self.mech_now.n_advocates, n_emp)
        row[Series.TURBULENCE] = 1.0 if self.moved else 0.0
        row[Series.LOCKED_SHARE] = n_locked / n_emp
        row[Series.ROGUE_SHARE] = n_rogue / n_emp
        row[Series.DISENFRANCHISED_SHARE] = (n_emp - n_hero - n_locked - n_rogue) / n_emp
        row[Series.LAPSED_USERS] = n_lapsed / n_emp
        row[Series.NON_USERS] = (n_emp - n_users - n_lapsed) / n_emp
        row[Series.CODE_KNOWLEDGE] = code_knowledge(self.code, self.code_known, self.landscape.optimum,
                                                    self.landscape.nk_n)
        row[Series.CONVERGED] = float(all(
            e.known == self.code_known and (e.solution ^ self.code) & self.code_known == 0
            for e in self.employees))
        self.tally[Tally.STEPS_RUN] = self.t + 1

    # --- outputs ---
    def outcomes(self) -> dict:
        """MODEL.md section 6 figures over the steps run so far (empty dict before the first)."""
        done = int(self.tally[Tally.STEPS_RUN])
        if done == 0:
            return {}
        return outcomes(self.series[:done], self.lead_hist, self.tally,
                        self.config.run.target_fitness)
