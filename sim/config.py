"""The scenario schema: every model parameter with its default, unit, bounds, description and source.

A scenario is a TOML file whose tables mirror the classes below; reading one (``extends``, ``--set``,
the error messages) is ``sim.scenario_files``'. Unknown keys are errors (covasim issue #388 is what
happens otherwise). Lever-moved parameters are pairs ``[at 0, at 1]``: the mechanism's value with no
investment and with full investment in its lever (ODD section 7.2).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = ROOT / "scenarios"
LEVERS = ("process", "advocates", "culture", "technology")


def F(default: Any, description: str, unit: str = "", source: str = "assumption",
      plausible: Any = None, **bounds: Any):
    """A documented field: the description, unit and source travel with the schema.

    ``source`` says where the default's value comes from: a reference, "scenario" (a fact of the
    organisation or study being modelled, chosen by the user), or "assumption". An assumed number
    states its ``plausible`` range, (low, high), or for a lever pair ((low, high) at 0, (low, high)
    at 1): the range a robustness study samples (tests/test_config.py checks every assumption has
    one and that the default lies inside it).
    """
    extra = {"unit": unit, "source": source}
    if plausible is not None:
        extra["plausible"] = plausible
    return Field(default, description=description, json_schema_extra=extra, **bounds)


SCENARIO = "scenario"


Prob = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
NonNeg = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Steps = Annotated[float, Field(ge=1.0, le=520.0, allow_inf_nan=False)]
ProbPair = tuple[Prob, Prob]
NonNegPair = tuple[Annotated[float, Field(ge=0.0, le=1000.0, allow_inf_nan=False)],
                   Annotated[float, Field(ge=0.0, le=1000.0, allow_inf_nan=False)]]
StepsPair = tuple[Steps, Steps]


def _kinds(annotation: Any) -> set[type]:
    """The scalar types an annotation admits (through Annotated, unions and None)."""
    if get_origin(annotation) is Annotated:
        return _kinds(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return set().union(*(_kinds(a) for a in get_args(annotation)))
    return {annotation} if annotation in (int, float, bool, str) else set()


def no_coercion(annotation: Any, value: Any) -> Any:
    """Refuse what pydantic's lax mode would quietly convert: text or true/false where a number
    belongs (``steps = "3"``, ``steps = true``), anything but true/false for a switch."""
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) is tuple and isinstance(value, list | tuple):
        for a, v in zip(get_args(annotation), value, strict=False):
            no_coercion(a, v)
        return value
    kinds = _kinds(annotation)
    if str in kinds or not kinds:
        return value
    if kinds & {int, float} and isinstance(value, str | bool):
        raise ValueError(f"expected a number, not {'true/false' if isinstance(value, bool) else 'text'}")
    if kinds == {bool} and not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_coercion(cls, value: Any, info: ValidationInfo) -> Any:
        return no_coercion(cls.model_fields[info.field_name].annotation, value)


class Run(_Section):
    steps: int = F(156, "Horizon of a run", "steps (weeks)", SCENARIO, ge=1, le=5200)
    seed: int = F(0, "Default run seed when none is given", "", SCENARIO, ge=0, le=2**63 - 1)
    stop_at_equilibrium: bool = F(False, "End the run at the first step where every employee's "
                                  "beliefs equal the code's (March's equilibrium)", "",
                                  "March 1991")
    target_fitness: float = F(0.8, "Deployed fitness that counts as 'innovated' for innovation speed",
                              "fitness [0, 1]", "assumption (ODD section 7.8)", (0.5, 0.9),
                              gt=0.0, le=1.0)


class Population(_Section):
    n_employees: int = F(1000, "Employees", "agents", SCENARIO, ge=1, le=2_000_000)
    n_units: int = F(10, "Business units (silos)", "units", SCENARIO, ge=1, le=100_000)
    n_customers: int = F(2000, "Customers", "agents", SCENARIO, ge=0, le=10_000_000)
    share_hero: float = F(0.20, "Share of HEROes (empowered and resourceful)", "share",
                          "Forrester HERO Index 2010", ge=0.0, le=1.0)
    share_locked: float = F(0.34, "Share of locked-down employees (empowered only)", "share",
                            "Forrester HERO Index 2010", ge=0.0, le=1.0)
    share_rogue: float = F(0.13, "Share of rogue employees (resourceful only); the rest are "
                           "disenfranchised", "share", "Forrester HERO Index 2010", ge=0.0, le=1.0)
    share_influencers: float = F(0.16, "Share of customers who are mass influencers", "share",
                                 "Forrester Peer Influence Analysis 2010", ge=0.0, le=1.0)
    rel_influencer: float = F(10.0, "Word-of-mouth weight of a mass influencer relative to others",
                              "multiplier", plausible=(2.0, 20.0), ge=0.0, le=1e6)
    advocate_placement: Literal["centrality", "random"] = F(
        "centrality", "How advocates are chosen among employees: most connected first, or at random",
        source="assumption (choices: centrality, random)")

    @model_validator(mode="after")
    def _groups_fit(self) -> Population:
        total = self.share_hero + self.share_locked + self.share_rogue
        if total > 1.0 + 1e-9:
            raise ValueError(f"share_hero + share_locked + share_rogue = {total:.4g} must be <= 1 "
                             "(the rest are disenfranchised)")
        return self


class Graph(_Section):
    employee_graph: Literal["small_world", "erdos_renyi", "line", "complete"] = F(
        "small_world", "Colleague ties: small world inside each unit (plus weak ties across), or a "
        "classic network over all employees (validation cases)", source="Watts & Strogatz 1998; "
        "Erdos & Renyi 1959; Lazer & Friedman 2007")
    k_intra: float = F(8, "Mean colleague degree: inside a unit for small_world (rounded down to "
                       "even), over all employees for erdos_renyi", "ties", "Watts & Strogatz 1998 "
                       "(the graph); value: assumption", (4, 16), ge=0, le=100_000)
    p_rewire: float = F(0.1, "Rewiring probability of intra-unit ties", "probability",
                        "Watts & Strogatz 1998 (small worlds lie in 0.01-0.3); value: assumption",
                        (0.01, 0.3), ge=0.0, le=1.0)
    k_inter: float = F(1.0, "Mean number of weak ties to other units per employee", "ties",
                       plausible=(0.2, 3.0), ge=0.0, le=1000.0)
    k_platform: float = F(4.0, "Mean latent platform ties per employee at full Technology "
                          "(active only between two active platform users)", "ties",
                          plausible=(1.0, 10.0), ge=0.0, le=1000.0)
    k_advocate: float = F(4.0, "Extra cross-unit ties of each advocate (brokerage)", "ties",
                          plausible=(1.0, 10.0), ge=0.0, le=1000.0)
    k_customer: float = F(2.0, "Employee ties per customer", "ties", plausible=(0.5, 5.0),
                          ge=0.0, le=1000.0)
    rel_hero_contact: float = F(3.0, "How much likelier a HERO is to be a customer's contact",
                                "multiplier", "Forrester: HEROes are customer-facing (value: "
                                "assumption)", (1.0, 5.0), ge=0.0, le=1e6)
    k_wom: float = F(6.0, "Mean customer-customer (word of mouth) degree", "ties",
                     "assumption (ODD section 5)", (2.0, 12.0), ge=0.0, le=1000.0)
    customer_graph: Literal["random", "complete"] = F(
        "random", "Word-of-mouth ties: random with mean k_wom, or every customer to every other "
        "(Bass validation)", source="Bass 1969")


class Landscape(_Section):
    kind: Literal["nk", "reality"] = F(
        "nk", "nk: Kauffman's NK landscape; reality: March's hidden reality, a bit scores 1 when "
        "it matches (needs nk_k = 0)", source="Kauffman 1993; March 1991")
    nk_n: int = F(20, "Bits of a solution to the customers' problem (at most 24 when nk_k > 0)",
                  "bits", "Kauffman 1993", ge=1, le=62)
    nk_k: int = F(5, "Interactions per bit: the problem's complexity", "bits",
                  "Kauffman 1993; value: assumption", (2, 10), ge=0, le=23)
    exponent: float = F(8.0, "Fitness = (score / max score) ** exponent", "",
                        "Lazer & Friedman 2007", gt=0.0, le=64.0)
    p_turbulence: float = F(0.02, "nk: chance per step that the customers' needs move (a constant "
                            "rate; nothing customers do changes it): one bit's "
                            "contributions are redrawn (about one move a year at 0.02); reality: "
                            "chance per step that each bit of reality flips (March's p4)",
                            "per step", "March 1991 p4 (the mechanism); value: assumption",
                            (0.005, 0.05), ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _k_below_n(self) -> Landscape:
        if self.nk_k >= self.nk_n:
            raise ValueError(f"nk_k = {self.nk_k} must be < nk_n = {self.nk_n}")
        if self.nk_k > 0 and self.nk_n > 24:
            raise ValueError(f"nk_n = {self.nk_n} must be <= 24 when nk_k > 0 (the exact maximum "
                             "enumerates 2**nk_n solutions)")
        if self.kind == "reality" and self.nk_k != 0:
            raise ValueError(f"nk_k = {self.nk_k}: a reality landscape needs nk_k = 0")
        return self


class Rules(_Section):
    adoption: Literal["bass", "threshold"] = F("bass", "Platform adoption rule set",
                                               source="Bass 1969; Watts 2002")
    funnel: Literal["stage_gate", "march_code", "none"] = F(
        "stage_gate", "Organisation-level learning: stage-gate funnel, March's code, or none",
        source="Cooper 1990; March 1991")
    socialization: Literal["adopt", "march"] = F(
        "adopt", "adopt: a differing bit takes the code's value; march: an undecided belief takes "
        "the code's value and an opposite one becomes undecided", source="March 1991")
    code_start: Literal["random", "blank"] = F(
        "random", "The organisational code starts as the deployed (random) solution, or blank "
        "(every belief undecided, March 1991)", source="March 1991")
    search: Literal["copy_or_explore", "none"] = F(
        "copy_or_explore", "Individual search: look at others' solutions and copy the best, else "
        "explore (Lazer & Friedman 2007); or none (March 1991: individuals learn only from the "
        "code)", source="Lazer & Friedman 2007; March 1991")
    feed: Literal["recent", "best", "random", "diverse"] = F(
        "recent", "What the platform feed shows a user: the latest changed solution (an activity "
        "stream), the best shared one, a random shared one, or the best among the top posts that "
        "differ from the reader's in at least a quarter of the bits",
        source="assumption (choices: recent, best, random, diverse; activity streams are "
        "reverse-chronological)")


class Budget(_Section):
    total: float = F(2.0, "Total budget: a lever's level is total x its share (capped at 1)",
                     "lever units", SCENARIO, ge=0.0, le=4.0)
    process: float = F(0.25, "Budget share of Process", "share", SCENARIO, ge=0.0, le=1.0)
    advocates: float = F(0.25, "Budget share of Advocates", "share", SCENARIO, ge=0.0, le=1.0)
    culture: float = F(0.25, "Budget share of Culture", "share", SCENARIO, ge=0.0, le=1.0)
    technology: float = F(0.25, "Budget share of Technology", "share", SCENARIO, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _sum_one(self) -> Budget:
        total = sum(getattr(self, name) for name in LEVERS)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"budget shares sum to {total:.6g}; they must sum to 1")
        return self


class Schedule(_Section):
    order: tuple[Literal["process", "advocates", "culture", "technology"], ...] = F(
        LEVERS, "Order in which the levers switch on", source=SCENARIO)
    starts: tuple[Annotated[int, Field(ge=0, le=5200)], ...] = F(
        (0, 8, 16, 24), "Step at which the 1st, 2nd, 3rd, 4th lever of `order` switches on "
        "(every lever on before the target is typically reached)", "steps", SCENARIO)
    level_on: float = F(0.8, "Lever level once switched on", "level [0, 1]", SCENARIO,
                        ge=0.0, le=1.0)
    level_off: float = F(0.0, "Lever level before it switches on: 0 is the informal baseline",
                         "level [0, 1]", SCENARIO, ge=0.0, le=1.0)

    # field validators: a message then names the key (levers.schedule.starts), not the section
    @field_validator("order")
    @classmethod
    def _permutation(cls, order: tuple[str, ...]) -> tuple[str, ...]:
        if sorted(order) != sorted(LEVERS):
            raise ValueError(f"order {list(order)} must name each of {list(LEVERS)} once")
        return order

    @field_validator("starts")
    @classmethod
    def _four_steps(cls, starts: tuple[int, ...]) -> tuple[int, ...]:
        if len(starts) != 4 or list(starts) != sorted(starts):
            raise ValueError(f"starts {list(starts)} must be 4 non-decreasing steps")
        return starts


class Levers(_Section):
    mode: Literal["direct", "budget", "schedule"] = F(
        "direct", "direct: levels below; budget: shares of a total; schedule: levers switch on in "
        "order", source=SCENARIO)
    process: float = F(0.5, "Process investment beyond the informal baseline (0): funnel "
                       "capacity, gate accuracy, stage times, absorption", "level [0, 1]",
                       "Forrester PACT", ge=0.0, le=1.0)
    advocates: float = F(0.5, "Advocates investment beyond the informal champions (0): number, "
                         "influence, sharing, sponsorship", "level [0, 1]", "Forrester PACT",
                         ge=0.0, le=1.0)
    culture: float = F(0.5, "Culture investment beyond the informal baseline (0): empowerment, "
                       "sharing, submitting, tolerance, retention, less conformity",
                       "level [0, 1]", "Forrester PACT", ge=0.0, le=1.0)
    technology: float = F(0.5, "Technology investment beyond informal tools (0): platform reach, "
                          "roll-out, ties, feed, tools, copy fidelity", "level [0, 1]",
                          "Forrester PACT", ge=0.0, le=1.0)
    shape: float = F(2.0, "Saturation of every response curve: 0 linear, larger saturates sooner",
                     "", plausible=(0.0, 6.0), ge=0.0, le=50.0)
    budget: Budget = Budget()
    schedule: Schedule = Schedule()


# Lever pairs are [informal baseline (lever at 0), full investment (lever at 1)]; ``plausible``
# gives a (low, high) range for each end.
class Process(_Section):
    capacity: NonNegPair = F((2.0, 10.0), "Ideas reviewed per stage per step, per 1,000 "
                             "employees (at 0: managers' informal review)",
                             "ideas/step/1,000 employees", plausible=((0.5, 4.0), (5.0, 20.0)))
    gate_noise: tuple[Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)],
                      Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)]] = F(
        (0.25, 0.02), "Std. dev. of the error in a gate's estimate of an idea's gain", "fitness",
        plausible=((0.1, 0.5), (0.01, 0.1)))
    dur_screen: StepsPair = F((2.0, 1.5), "Steps an idea spends in screening", "steps",
                              "assumption: a formal process shortens "
                              "each stage by about 30%", ((1.0, 4.0), (1.0, 3.0)))
    dur_develop: StepsPair = F((10.0, 7.0), "Steps an idea spends in development", "steps",
                               "assumption: a formal process shortens "
                               "each stage by about 30%", ((6.0, 16.0), (4.0, 12.0)))
    dur_pilot: StepsPair = F((8.0, 5.5), "Steps an idea spends in the pilot", "steps",
                             "assumption: a formal process shortens "
                             "each stage by about 30%", ((4.0, 12.0), (3.0, 10.0)))
    gate_bar: float = F(0.0, "Estimated gain over the deployed solution a gate requires",
                        "fitness", plausible=(0.0, 0.05), ge=-1.0, le=1.0)
    p_absorb: ProbPair = F((0.1, 0.8), "Chance per differing bit that the organisational code "
                           "absorbs a launched idea", "probability",
                           plausible=((0.05, 0.3), (0.5, 1.0)))
    p_code_learn: ProbPair = F((0.1, 0.9), "march_code: the code's learning rate p2",
                               "probability", "assumption (March 1991's p2 spans 0.1 to 0.9)",
                               ((0.1, 0.5), (0.5, 0.9)))


class Advocates(_Section):
    share: ProbPair = F((0.01, 0.05), "Share of employees who are advocates (at 0: informal "
                        "champions)", "share", plausible=((0.0, 0.02), (0.02, 0.1)))
    weight: NonNegPair = F((2.0, 5.0), "Weight of an advocate in a colleague's adoption decision",
                           "multiplier", plausible=((1.0, 3.0), (3.0, 10.0)))
    rel_share: NonNegPair = F((1.5, 3.0), "How much likelier an advocate is to share its solution "
                              "(evangelising: what its brokerage ties carry)", "multiplier",
                              plausible=((1.0, 2.0), (2.0, 5.0)))
    sponsor_speed: tuple[Annotated[float, Field(ge=0.0, le=0.9)],
                         Annotated[float, Field(ge=0.0, le=0.9)]] = F(
        (0.1, 0.5), "Share of each stage's duration saved by an idea an advocate sponsors", "share",
        plausible=((0.0, 0.2), (0.2, 0.7)))


class Culture(_Section):
    p_empower: ProbPair = F((0.002, 0.02), "Chance per step that a non-empowered employee becomes "
                            "empowered", "per step", plausible=((0.0, 0.005), (0.01, 0.05)))
    p_share: ProbPair = F((0.05, 0.6), "Chance per step that an employee's solution is visible",
                          "per step", plausible=((0.02, 0.15), (0.3, 0.9)))
    p_submit: ProbPair = F((0.01, 0.2), "Chance per step that a HERO with a better solution "
                           "submits it", "per step", plausible=((0.005, 0.05), (0.1, 0.4)))
    p_accept_worse: ProbPair = F((0.005, 0.05), "Chance that an empowered employee keeps a worse "
                                 "exploratory change (tolerance of exploration)", "probability",
                                 plausible=((0.0, 0.01), (0.02, 0.1)))
    p_lapse: ProbPair = F((0.05, 0.005), "Chance per step that an active platform user lapses",
                          "per step", plausible=((0.02, 0.1), (0.002, 0.02)))
    p_socialize: ProbPair = F((0.05, 0.01), "Chance per differing bit per step of taking the "
                              "code's value (March's p1, conformity): an empowered culture "
                              "lowers it", "per bit per step", "March 1991 p1 (the mechanism; "
                              "slow socialization helps long-run learning); values: assumption",
                              ((0.02, 0.1), (0.0, 0.03)))


class Technology(_Section):
    n_seed_users: int = F(0, "Employees who are active platform users at step 0 (chosen at random)",
                          "employees", "scenario (Watts 2002's cascades start from one random seed)", ge=0,
                          le=10_000_000)
    reach: ProbPair = F((0.1, 1.0), "Share of employees the platform reaches (at 0: the few who "
                        "use informal tools); only they can become active users", "share",
                        plausible=((0.02, 0.3), (0.7, 1.0)))
    p_ext: ProbPair = F((0.005, 0.03), "External adoption push of the platform (roll-out)",
                        "per step", "Bass 1969 p (the mechanism); values: assumption",
                        ((0.0, 0.01), (0.01, 0.1)))
    platform_ties: ProbPair = F((0.1, 1.0), "Share of the latent platform ties that exist",
                                "share", plausible=((0.0, 0.3), (0.5, 1.0)))
    p_feed: ProbPair = F((0.02, 0.5), "Chance per step that a user reads the feed (rules.feed)",
                         "per step", plausible=((0.0, 0.05), (0.2, 0.8)))
    p_resourceful: ProbPair = F((0.002, 0.02), "Chance per step that a non-resourceful platform "
                                "user becomes resourceful", "per step",
                                plausible=((0.0, 0.005), (0.01, 0.05)))
    feed_window: int = F(10, "Posts on the feed's first screen: recent picks one of the latest this "
                         "many, diverse the best unlike the reader's among the best this many",
                         "posts", plausible=(3, 30), ge=1, le=10_000)
    fidelity: ProbPair = F((0.0, 0.5), "Share of copy errors an active user avoids (solutions "
                           "documented on the platform); [0, 0] switches the mechanism off",
                           "share", plausible=((0.0, 0.0), (0.0, 0.8)))


class Behaviour(_Section):
    p_work: float = F(0.1, "Chance per step that an employee works on the customers' problem at "
                      "all (its share of working time; then it looks or explores)", "per step",
                      "assumption (time-for-innovation policies give 15-20%: 3M, Google)",
                      (0.05, 0.25), ge=0.0, le=1.0)
    velocity: float = F(0.5, "Chance per step that an employee looks at others' solutions (else "
                        "it explores on its own)", "per step", "Lazer & Friedman 2007 (the "
                        "definition); value: assumption", (0.1, 1.0), ge=0.0, le=1.0)
    copy_error: float = F(0.1, "Chance that one differing bit is not taken when copying (the copy "
                          "is kept as made: its bits are not checked one by one)", "per bit",
                          plausible=(0.02, 0.2), ge=0.0, le=1.0)
    judge_noise: float = F(0.05, "Std. dev. of the error in an employee's estimate of another's "
                           "fitness, divided by (1 + rel_contact x its customer ties)", "fitness",
                           plausible=(0.0, 0.15), ge=0.0, le=10.0)
    q_adopt: float = F(0.3, "Imitation in platform adoption (weighted share of adopting "
                       "colleagues)", "per step", "Bass 1969 q (the mechanism); value: assumption",
                       (0.05, 0.6), ge=0.0, le=1.0)
    phi: float = F(0.18, "threshold rule: mean adoption threshold", "share", "Watts 2002",
                   ge=0.0, le=1.0)
    phi_spread: float = F(0.0, "threshold rule: thresholds are uniform in phi +- phi_spread",
                          "share", "Watts 2002 (uniform thresholds)", ge=0.0, le=1.0)
    n_flip_hero: int = F(2, "Bits a HERO may flip when exploring (others flip 1)", "bits",
                         plausible=(1, 4), ge=1, le=24)
    rel_share_hero: float = F(1.5, "How much likelier a HERO is to share", "multiplier",
                              plausible=(1.0, 3.0), ge=0.0, le=100.0)
    rel_submit: tuple[Prob, Prob, Prob, Prob] = F(
        (1.0, 0.5, 0.5, 0.1), "Submission multiplier of HERO, locked-down, rogue, disenfranchised",
        "multiplier", plausible=((1.0, 1.0), (0.2, 0.8), (0.2, 0.8), (0.0, 0.3)))
    rel_contact: float = F(0.1, "Gate and judging noise divided by (1 + rel_contact x customer "
                           "ties): customer-facing employees judge better", "per tie",
                           plausible=(0.0, 0.5), ge=0.0, le=100.0)
    p_turnover: float = F(0.0025, "Chance per step that an employee is replaced by a newcomer",
                          "per step", "March 1991 p3 (the mechanism); value: assumption (13% a year)",
                          (0.001, 0.005), ge=0.0, le=1.0)
    share_slow: float = F(0.0, "Share of employees who socialize at p_socialize_slow instead "
                          "(mixed learners)", "share", "March 1991", ge=0.0, le=1.0)
    p_socialize_slow: float = F(0.1, "Socialization rate of the slow learners", "per bit per step",
                                "March 1991 p1", ge=0.0, le=1.0)
    p_belief: float = F(1.0, "Chance that a starting or newcomer employee holds a belief on a bit "
                        "(else undecided: acts by coin flip there)", "per bit",
                        "March 1991 (2/3: beliefs -1, 0, +1 equally likely)", ge=0.0, le=1.0)


class Customers(_Section):
    p_value: float = F(0.0005, "Customer adoption without any gain or word of mouth", "per step",
                       "Bass 1969 p (the mechanism); value: assumption", (0.0001, 0.002),
                       ge=0.0, le=1.0)
    rel_value: float = F(0.02, "Extra adoption per unit of deployed fitness gain", "per step",
                         plausible=(0.005, 0.05), ge=0.0, le=1.0)
    q_wom: float = F(0.1, "Word of mouth (weighted share of adopting contacts)", "per step",
                     "Bass 1969 q (the mechanism); value: assumption", (0.02, 0.3),
                     ge=0.0, le=1.0)
    rel_feedback: float = F(2.0, "Pilot gate noise divided by (1 + rel_feedback x share of "
                            "customers who adopted): pilots run with the adopters learn from "
                            "them", "multiplier", plausible=(0.0, 5.0), ge=0.0, le=1000.0)


class Scenario(_Section):
    """One complete model configuration."""

    # printable text: names end up in folder names and tables (no control characters, no NUL)
    name: str = F("baseline", "Scenario name", source=SCENARIO, min_length=1, max_length=120,
                  pattern=r"^[^\x00-\x1f\x7f]+$")
    description: str = F("", "What this scenario represents", source=SCENARIO, max_length=10_000)
    run: Run = Run()
    population: Population = Population()
    graph: Graph = Graph()
    landscape: Landscape = Landscape()
    rules: Rules = Rules()
    levers: Levers = Levers()
    process: Process = Process()
    advocates: Advocates = Advocates()
    culture: Culture = Culture()
    technology: Technology = Technology()
    behaviour: Behaviour = Behaviour()
    customers: Customers = Customers()

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        pop = self.population
        if pop.n_units > pop.n_employees:
            raise ValueError(f"population.n_units = {pop.n_units} must be <= "
                             f"population.n_employees = {pop.n_employees}")
        if self.technology.n_seed_users > self.population.n_employees:
            raise ValueError(f"technology.n_seed_users = {self.technology.n_seed_users} must be <= "
                             f"population.n_employees = {self.population.n_employees}")
        return self


def config_hash(cfg: Scenario) -> str:
    """A stable 16-hex-digit hash of everything that affects results (the name excluded)."""
    data = cfg.model_dump(mode="json", exclude={"name", "description"})
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
