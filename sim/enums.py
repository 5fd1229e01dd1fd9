"""The model's named integer codes: roles, states, edge kinds and rule sets (ODD section 2).

One ``IntEnum`` each, used by name in Python and inside compiled code alike (Numba reads an
``IntEnum`` member as its integer). Never renumber a member: stored results and the edge kinds'
sort order in the graph depend on the values.
"""

from __future__ import annotations

from enum import IntEnum


class Group(IntEnum):
    """Forrester's HERO Index groups, from the (empowered, resourceful) flags."""

    HERO = 0  # empowered and resourceful
    LOCKED_DOWN = 1  # empowered only
    ROGUE = 2  # resourceful only
    DISENFRANCHISED = 3  # neither


class Platform(IntEnum):
    """Platform adoption state of an employee."""

    NON_USER = 0
    ACTIVE = 1
    LAPSED = 2


class Shows(IntEnum):
    """What an employee's row shows colleagues who scan their ties, as bits of one byte
    (``sim.phases.show_rows``)."""

    ACTIVE = 1  # an active platform user
    ADVOCATE = 2  # an advocate at this step
    SHARED = 4  # sharing its solution


class Stage(IntEnum):
    """Where an employee's idea is in the funnel (NONE: no idea in the funnel)."""

    NONE = -1
    SCREEN = 0
    DEVELOP = 1
    PILOT = 2


class EdgeKind(IntEnum):
    """Kind of a tie; a CSR row lists its ties sorted by kind, so employees' ties come first."""

    INTRA = 0  # small world inside a unit
    INTER = 1  # weak tie to another unit
    PLATFORM = 2  # latent; active while both ends are active users and the tie exists (Technology)
    ADVOCATE = 3  # extra cross-unit tie of an advocate candidate; active while one end is advocate
    EMP_CUST = 4  # employee - customer
    CUST_CUST = 5  # customer - customer (word of mouth)


class Lever(IntEnum):
    """The four PACT levers, in the columns of ``sim.params.lever_levels``."""

    PROCESS = 0
    ADVOCATES = 1
    CULTURE = 2
    TECHNOLOGY = 3


class AdoptionRule(IntEnum):
    """R1: how employees adopt the platform."""

    BASS = 0
    THRESHOLD = 1


class SocializationRule(IntEnum):
    """R6a: how employees learn the organisational code."""

    ADOPT = 0
    MARCH = 1


class SearchRule(IntEnum):
    """R3: how employees search the landscape."""

    COPY_OR_EXPLORE = 0  # look at others and copy the best, else explore (Lazer & Friedman 2007)
    NONE = 1  # nobody searches (March 1991: individuals learn only from the code)


class FeedRule(IntEnum):
    """R3f: what the platform feed shows a reader."""

    RECENT = 0  # one of the latest changed shared solutions
    BEST = 1  # the best shared solution
    RANDOM = 2  # any shared solution
    DIVERSE = 3  # the best of the top posts that differ enough from the reader's


class FunnelRule(IntEnum):
    """R5: how the organisation learns from its employees."""

    STAGE_GATE = 0
    MARCH_CODE = 1
    NONE = 2


class Count(IntEnum):
    """This step's counts, in the state's ``counts`` row (reset when a step begins)."""

    LAPSES = 0  # active users who lapsed (R1)
    SUBMISSIONS = 1  # ideas submitted (R4)
    LAUNCHES = 2  # ideas launched, or 1 when March's code changed (R5)
