"""The Mesa agents of the PACT model (ODD section 2): employees, their roles, customers.

Agents are the readable formulation of what ``sim.kernel`` does with arrays: each method states one
rule for one agent and decides it by calling the same compiled function in ``sim.rules`` with the same
counter-based draw (key, agent number, slot), so both formulations make identical decisions. The
agent number in every draw is the agent's node id in the CSR graph (``index``), never Mesa's
``unique_id``.

**Roles, not classes.** HERO (empowered and resourceful) and advocate are roles an employee takes
and leaves during a run: Culture and Technology convert employees into HEROes, turnover brings in
newcomers, and in schedule mode the Advocates lever changes how many employees are advocates from one
step to the next. A Python object cannot change class cleanly (Mesa also files agents by their class
when they are created), so there is one agent class, :class:`Employee`, and :class:`Hero` and
:class:`Advocate` are *role types*: ``isinstance(e, Hero)`` is true while ``e`` holds the role, so
``model.agents.select(agent_type=Hero)`` gives the HEROes of the current step. The role's meaning
comes from the rules (``sim.rules.culture.group``, ``sim.rules.advocates.is_advocate``).

Synchronous updates: a ``plan_*`` method reads the state the previous phase left and stores the new
value in ``self.pending``; the model applies all of them with ``apply_*`` at the end of the phase.
Methods that read only the agent's own state (empowerment, learning) update in place, which is the
same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim.population import Group, Stage
from sim.rules.advocates import is_advocate, tie_weight
from sim.rules.culture import (
    HERO,
    empowered_next,
    group,
    leaves,
    newcomer_flags,
    shares_next,
    socialize,
    submits,
)
from sim.rules.market import customer_adopts, wom_weight
from sim.rules.search import (
    KNOWN_SLOT,
    NEWCOMER_KNOWN_SLOT,
    NEWCOMER_SLOT,
    better_source,
    origin_after_search,
    random_known,
    random_solution,
    search,
    works,
)
from sim.rules.technology import (
    ACTIVE,
    LAPSED,
    NON_USER,
    platform_next,
    resourceful_next,
    sees_feed,
    tie_active,
)

if TYPE_CHECKING:
    from sim.model import InnovationModel



@dataclass
class Idea:
    """An idea in the funnel (ODD section 2): one per employee at most."""

    submitter: Employee
    solution: int  # nk_n-bit solution
    t_submit: int  # step it was submitted
    t_stage: int  # step it entered its current stage
    stage: Stage
    sponsored: bool  # backed by an advocate (R5s, R5p)
    origin: int  # unit the solution came from


class Employee(mesa.Agent):
    """An employee in a business unit, holding a solution to the customers' problem.

    Attributes: ``index`` node id (the agent number in every draw); ``unit``; ``empowered`` and
    ``resourceful`` flags (HERO Index); ``adv_rank`` rank for advocacy (0 first); ``threshold``
    adoption threshold (share); ``contacts`` customer ties; ``platform`` state; ``solution``
    (``nk_n``-bit int) and its ``fitness`` in [0, 1]; ``shared`` (visible to colleagues);
    ``origin`` unit the solution came from; ``ever_submitted``; ``idea`` (in the funnel, or None);
    ``colleagues``: (colleague, edge kind, tie draw ``eu``) in CSR order.
    """

    def __init__(self, model: InnovationModel, index: int, unit: int, empowered: bool,
                 resourceful: bool, threshold: float, adv_rank: int, contacts: int,
                 platform: int, p_socialize: float) -> None:
        super().__init__(model)
        self.index = index
        self.unit = unit
        self.empowered = empowered
        self.resourceful = resourceful
        self.threshold = threshold
        self.adv_rank = adv_rank
        self.contacts = contacts
        self.platform = platform  # NON_USER, ACTIVE or LAPSED (sim.population.Platform)
        self.p_socialize = p_socialize  # this seat's socialization rate (mixed learners)
        self.solution = 0
        self.known = 0  # bits the employee holds a belief on; undecided bits have value 0
        self.fitness = 0.0
        self.shared = False
        self.origin = unit
        self.ever_submitted = False
        self.idea: Idea | None = None
        self.colleagues: list[tuple[Employee, int, float]] = []
        self.pending: Any = None

    # --- roles, derived from the flags and the Advocates lever through the rules ---
    @property
    def group(self) -> Group:
        """HERO Index group (Forrester 2010)."""
        return Group(group(self.empowered, self.resourceful))

    @property
    def is_hero(self) -> bool:
        return group(self.empowered, self.resourceful) == HERO

    @property
    def is_advocate(self) -> bool:
        """R1b: among the best-ranked employees the Advocates lever makes advocates this step."""
        return is_advocate(self.adv_rank, self.model.mech_now.n_advocates)

    def tie_is_active(self, other: Employee, kind: int, eu: float) -> bool:
        """R1a: can this tie be used at this step?"""
        m = self.model.mech_now
        return tie_active(kind, eu, self.platform, other.platform, self.adv_rank, other.adv_rank,
                          m.n_advocates, m.platform_ties)

    def start(self, key: np.uint64) -> None:
        """R0s, R0k: a uniformly random first solution, decided on each bit with p_belief."""
        land = self.model.landscape
        self.known = random_known(land.nk_n, self.model.const.p_belief, key, self.index, KNOWN_SLOT)
        self.solution = random_solution(land.nk_n, key, self.index, 0) & self.known
        self.fitness = land.fitness(self.solution)

    # --- phase 1: platform adoption ---
    def plan_platform(self, key: np.uint64) -> None:
        """R1: adopt (or lapse) from the weighted share of active users among usable ties."""
        m = self.model.mech_now
        share = 0.0
        if self.platform != ACTIVE:  # an active user's decision does not depend on the share
            w_active = 0.0
            w_total = 0.0
            for other, kind, eu in self.colleagues:
                if not self.tie_is_active(other, kind, eu):
                    continue
                w = tie_weight(other.is_advocate, m.w_advocate)
                w_total += w
                if other.platform == ACTIVE:
                    w_active += w
            if w_total > 0.0:
                share = w_active / w_total
        self.pending = platform_next(self.model.adoption_rule, self.platform, share, m.p_ext,
                                     self.model.const.q_adopt, self.threshold, m.p_lapse, key,
                                     self.index)

    def apply_platform(self) -> bool:
        """Take the planned state; True if the employee lapsed."""
        lapsed = self.pending == LAPSED and self.platform == ACTIVE
        self.platform = self.pending
        return lapsed

    # --- phase 2: empowerment ---
    def empower(self, key: np.uint64) -> None:
        """R2a (Culture empowers) and R2b (platform tools make users resourceful)."""
        m = self.model.mech_now
        empowered = empowered_next(self.empowered, m.p_empower, key, self.index)
        self.resourceful = resourceful_next(self.resourceful, self.platform, m.p_resourceful, key,
                                            self.index)
        self.empowered = empowered

    # --- phase 3: search and sharing ---
    def plan_search(self, feed: Employee | None, key: np.uint64, key_feed: np.uint64,
                    key_share: np.uint64) -> None:
        """R3w, R3, R3f: look at visible solutions, copy the best or explore; R3s: share or not."""
        model, m = self.model, self.model.mech_now
        land = model.landscape
        solution, fit, origin = self.solution, self.fitness, self.origin
        hero = self.is_hero
        if works(model.const.velocity, key, self.index):
            best = None  # the best visible source so far (R3v)
            for other, kind, eu in self.colleagues:
                if other.shared and better_source(other.fitness, best is not None, source_fitness(best)) \
                        and self.tie_is_active(other, kind, eu):
                    best = other
            if feed is not None and feed is not self and sees_feed(self.platform, m.p_feed, key_feed,
                                                                    self.index):
                if better_source(feed.fitness, best is not None, source_fitness(best)):
                    best = feed
            best_sol = self.solution if best is None else best.solution
            best_fit = -1.0 if best is None else best.fitness
            solution, fit, copied = search(self.solution, self.fitness, best_sol, best_fit, hero,
                                           self.empowered, model.const.n_flip_hero, m.copy_error,
                                           m.p_accept_worse, land.dep, land.table, land.max_score,
                                           land.exponent, key, self.index)
            origin = origin_after_search(self.origin, self.origin if best is None else best.origin,
                                         self.unit, copied, solution != self.solution)
        shared = shares_next(hero, m.p_share, model.const.rel_share_hero, key_share, self.index)
        self.pending = (solution, fit, origin, shared)

    def apply_search(self) -> None:
        solution, self.fitness, self.origin, self.shared = self.pending
        self.known |= solution ^ self.solution  # bits search changes become decided
        self.solution = solution

    # --- phase 4: submission ---
    def submit(self, t: int, key: np.uint64) -> Idea | None:
        """R4: submit a solution that beats the deployed one; sponsored if an advocate backs it."""
        model = self.model
        if self.idea is not None:
            return None
        c = model.const
        if not submits(group(self.empowered, self.resourceful), self.fitness, model.deployed_fitness,
                       model.mech_now.p_submit, c.rel_submit_hero, c.rel_submit_locked,
                       c.rel_submit_rogue, c.rel_submit_disenfranchised, key, self.index):
            return None
        sponsored = self.is_advocate
        for other, kind, eu in self.colleagues:
            if sponsored:
                break
            if other.is_advocate and self.tie_is_active(other, kind, eu):
                sponsored = True
        self.idea = Idea(self, self.solution, t, t, Stage.SCREEN, sponsored, self.origin)
        self.ever_submitted = True
        return self.idea

    # --- phase 6: organisational learning ---
    def learn(self, code: int, code_known: int, key_socialize: np.uint64,
              key_turnover: np.uint64) -> None:
        """R6a: move toward the organisational code (as it stood at the start of the step);
        R6b: leave, replaced by a newcomer (R6c).

        The newcomer takes over the seat: same unit, ties, customer contacts and socialization rate
        (an idea the predecessor left in the funnel stays there, as in the kernel).
        """
        model = self.model
        land = model.landscape
        c = model.const
        solution, self.known = socialize(self.solution, self.known, code, code_known, land.nk_n,
                                         self.p_socialize, model.socialization_rule, key_socialize,
                                         self.index)
        if solution != self.solution:
            self.solution = solution
            self.fitness = land.fitness(solution)
        if leaves(c.p_turnover, key_turnover, self.index):
            self.empowered, self.resourceful = newcomer_flags(c.share_hero, c.share_locked,
                                                              c.share_rogue, key_turnover, self.index)
            self.known = random_known(land.nk_n, c.p_belief, key_turnover, self.index,
                                      NEWCOMER_KNOWN_SLOT)
            self.solution = random_solution(land.nk_n, key_turnover, self.index,
                                            NEWCOMER_SLOT) & self.known
            self.fitness = land.fitness(self.solution)
            self.platform = NON_USER
            self.shared = False
            self.ever_submitted = False
            self.origin = self.unit


def source_fitness(employee: Employee | None) -> float:
    """Fitness of a source, or 0.0 when there is none (then unused: see better_source)."""
    return 0.0 if employee is None else employee.fitness


class _Role(type):
    """Metaclass of role types: ``isinstance(agent, Role)`` asks whether the agent holds the role."""

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, Employee) and cls.holds(obj)


class Hero(metaclass=_Role):
    """Role: an employee who is empowered and resourceful at this step (Forrester's HERO)."""

    @staticmethod
    def holds(employee: Employee) -> bool:
        return employee.is_hero


class Advocate(metaclass=_Role):
    """Role: an employee the Advocates lever makes an advocate at this step (R1b)."""

    @staticmethod
    def holds(employee: Employee) -> bool:
        return employee.is_advocate


class Customer(mesa.Agent):
    """A customer: ``index`` node id (``n_employees + c``; draws use ``c = number``), ``influencer``
    (mass influencer, Forrester 2010), ``adopted`` the organisation's offering; ``peers``:
    word-of-mouth contacts in CSR order."""

    def __init__(self, model: InnovationModel, number: int, influencer: bool) -> None:
        super().__init__(model)
        self.number = number
        self.influencer = influencer
        self.adopted = False
        self.peers: list[Customer] = []
        self.pending = False

    def plan_adoption(self, gain: float, key: np.uint64) -> None:
        """R7a: adopt from the value of the release and the weighted share of adopting peers."""
        if self.adopted:
            self.pending = True
            return
        c = self.model.const
        w_adopted = 0.0
        w_total = 0.0
        for peer in self.peers:
            w = wom_weight(peer.influencer, c.rel_influencer)
            w_total += w
            if peer.adopted:
                w_adopted += w
        share = w_adopted / w_total if w_total > 0.0 else 0.0
        self.pending = customer_adopts(c.p_value, c.rel_value, gain, c.q_wom, share, key, self.number)

    def apply_adoption(self) -> None:
        self.adopted = self.pending


__all__ = ["Advocate", "Customer", "Employee", "Hero", "Idea"]
