"""The Mesa agents of the PACT model (ODD section 2): employees, their roles, their ideas, customers.

An agent is a view of its row of the run's state (``sim.state``): its attributes read the row, and
each of its methods applies one per-agent rule of ``sim.rules`` to it, the same compiled function the
kernel calls, with the same counter-based draw (key, agent number, slot). The agent number in every
draw is the agent's row (``index`` for employees, ``number`` for customers), never Mesa's
``unique_id``.

**Roles, not classes.** HERO (empowered and resourceful) and advocate are roles an employee takes
and leaves during a run: Culture and Technology convert employees into HEROes, turnover brings in
newcomers, and in schedule mode the Advocates lever changes how many employees are advocates from one
step to the next. A Python object cannot change class cleanly (Mesa also files agents by their class
when they are created), so there is one agent class, :class:`Employee`, and :class:`Hero` and
:class:`Advocate` are *role types*: ``isinstance(e, Hero)`` is true while ``e`` holds the role, so
``model.agents.select(agent_type=Hero)`` gives the HEROes of the current step.

Synchronous updates: ``plan_*`` writes the agent's next values into the state's ``*_next`` rows and
``apply_*`` takes them; the model calls every agent's ``plan_*`` before any ``apply_*``.

**Calling the rules.** Calling a compiled function with the state costs over a microsecond, several
times the body of a rule: Numba's dispatcher types the structref argument (a 70-field type) on
every call, then unboxes it. So the agents call each per-agent rule's compiled entry point for the
state's type directly (:data:`RULES`, bound when the first model is built; the model passes the
keys as Python ints, ``InnovationModel.agent_key``), which skips the typing: the same rule with the
same arguments. Under ``NUMBA_DISABLE_JIT=1`` :data:`RULES` holds the rules themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import mesa
import numpy as np
from numba import config, types

from sim.enums import Group, Platform, Stage
from sim.params import Mech
from sim.rules import culture, market, search, technology
from sim.rules.advocates import is_advocate
from sim.state import STATE_TYPE

if TYPE_CHECKING:
    from sim.model import InnovationModel


class _Rules:
    """The per-agent rules as the agents call them: ``RULES.plan_platform(state, i, key)`` runs
    ``sim.rules.technology.plan_platform(state, i, key)``, and so on (module docstring)."""

    # rule: (its module, the arguments after the state: the agent's row, then keys)
    SIGNATURES = {
        "plan_platform": (technology, 1), "apply_platform": (technology, 0),
        "empower": (culture, 1), "plan_search": (search, 4), "apply_search": (search, 0),
        "submit": (culture, 1), "learn": (culture, 2), "plan_adoption": (market, 1),
        "apply_adoption": (market, 0),
    }

    def bind(self) -> None:
        """Look up (compile or load) the entry points, once per process."""
        if hasattr(self, "learn"):
            return
        for name, (module, n_keys) in self.SIGNATURES.items():
            fn = getattr(module, name)
            if not config.DISABLE_JIT:
                fn = fn.compile((STATE_TYPE, types.int64, *(types.uint64,) * n_keys))
            setattr(self, name, fn)


RULES = _Rules()


class Idea(NamedTuple):
    """An employee's idea in the funnel, read from its idea slot (ODD section 2)."""

    submitter: int  # employee index
    solution: int  # nk_n-bit solution
    t_submit: int  # step it was submitted
    t_stage: int  # step it entered its current stage
    stage: Stage
    sponsored: bool  # backed by an advocate (R5s, R5p)
    origin: int  # unit the solution came from


class Employee(mesa.Agent):
    """An employee in a business unit, holding a solution to the customers' problem.

    ``index``: its row. Read from the row: ``unit``; ``empowered`` and ``resourceful`` (HERO
    Index); ``adv_rank`` (0 first to become an advocate); ``threshold`` adoption threshold (share);
    ``contacts`` customer ties; ``platform`` state; ``solution`` and ``known`` (``nk_n``-bit masks)
    and ``fitness`` in [0, 1]; ``shared``; ``origin`` (unit the solution came from);
    ``ever_submitted``; ``idea`` (in the funnel, or None).
    """

    def __init__(self, model: InnovationModel, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.rows = model.rows
        self.state = model.state

    def _row(self, name: str):
        return self.rows[name][self.index].item()

    unit = property(lambda self: self._row("unit"))
    threshold = property(lambda self: self._row("threshold"))
    adv_rank = property(lambda self: self._row("adv_rank"))
    contacts = property(lambda self: self._row("contacts"))
    empowered = property(lambda self: self._row("empowered"))
    resourceful = property(lambda self: self._row("resourceful"))
    solution = property(lambda self: self._row("solution"))
    known = property(lambda self: self._row("known"))
    fitness = property(lambda self: self._row("fitness"))
    shared = property(lambda self: self._row("shared"))
    origin = property(lambda self: self._row("origin"))
    ever_submitted = property(lambda self: self._row("ever_submitted"))

    @property
    def platform(self) -> Platform:
        return Platform(self._row("platform"))

    @property
    def group(self) -> Group:
        """HERO Index group (Forrester 2010)."""
        return Group(culture.group(self.empowered, self.resourceful))

    @property
    def is_hero(self) -> bool:
        return self.group == Group.HERO

    @property
    def is_advocate(self) -> bool:
        """R1b: among the best-ranked employees the Advocates lever makes advocates this step."""
        return bool(is_advocate(self.adv_rank, self.model.mech_now[Mech.N_ADVOCATES]))

    @property
    def idea(self) -> Idea | None:
        stage = self._row("idea_stage")
        if stage == Stage.NONE:
            return None
        return Idea(self.index, self._row("idea_solution"), self._row("idea_t_submit"),
                    self._row("idea_t_stage"), Stage(stage), self._row("idea_sponsored"),
                    self._row("idea_origin"))

    # --- phase 1: platform adoption (R1) ---
    def plan_platform(self, key: np.uint64) -> None:
        RULES.plan_platform(self.state, self.index, key)

    def apply_platform(self) -> None:
        RULES.apply_platform(self.state, self.index)

    # --- phase 2: empowerment (R2a, R2b) ---
    def empower(self, key: np.uint64) -> None:
        RULES.empower(self.state, self.index, key)

    # --- phase 3: search and sharing (R3, R3s) ---
    def plan_search(self, key: np.uint64, key_feed: np.uint64, key_share: np.uint64,
                    key_judge: np.uint64) -> None:
        RULES.plan_search(self.state, self.index, key, key_feed, key_share, key_judge)

    def apply_search(self) -> None:
        RULES.apply_search(self.state, self.index)

    # --- phase 4: submission (R4) ---
    def submit(self, key: np.uint64) -> None:
        RULES.submit(self.state, self.index, key)

    # --- phase 6: organisational learning (R6) ---
    def learn(self, key_socialize: np.uint64, key_turnover: np.uint64) -> None:
        RULES.learn(self.state, self.index, key_socialize, key_turnover)


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
    """A customer: ``number`` its row (node ``n_employees + number`` in the graph); read from the
    row: ``influencer`` (mass influencer, Forrester 2010), ``adopted`` the organisation's offering."""

    def __init__(self, model: InnovationModel, number: int) -> None:
        super().__init__(model)
        self.number = number
        self.rows = model.rows
        self.state = model.state

    influencer = property(lambda self: bool(self.rows["influencer"][self.number]))
    adopted = property(lambda self: bool(self.rows["adopted"][self.number]))

    # --- phase 7: adoption (R7a) ---
    def plan_adoption(self, key: np.uint64) -> None:
        RULES.plan_adoption(self.state, self.number, key)

    def apply_adoption(self) -> None:
        RULES.apply_adoption(self.state, self.number)


__all__ = ["Advocate", "Customer", "Employee", "Hero", "Idea"]
