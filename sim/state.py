"""The state of one run: every variable the eight phases read or write, held once as arrays.

One Numba structref (:class:`State`) holds the employees' rows, their idea slots, the customers'
rows, the organisation (deployed solution, code, funnel counters), the landscape as it moves, the
world the run was built from (graph, units, thresholds), the run's parameters and its outputs. The
kernel (``sim.kernel``) and the Mesa model (``sim.model``) each own one, built by :func:`new_state`,
and every phase (``sim.phases``) and per-agent rule (``sim.rules``) is a function of it.

Arrays are written in place and never rebound (except the landscape's, which the run replaces
by its own when the market first moves), so the NumPy arrays the Python side holds
(``State.arrays``) are the same memory the compiled code writes: the Mesa agents read their rows
from them. Synchronous phases write the next values into the ``*_next`` rows and copy them over
at the end of the phase (read step t, write step t+1).

Fields (shapes: E employees, C customers, D CSR entries, N landscape bits, K its epistasis, S steps):
    world:     unit, threshold, slow (E; i8, f8, b1: a slow learner's seat), access (E; f8: the
               seat's fixed draw the platform's reach is compared with), influencer (C; b1),
               indptr (E+C+1; i8),
               nbr, kind, eu (D; i4, i1, f8), adv_rank (E; i4), contacts (E; i8), dep (N, K+1;
               i8), exponent (f8); tie_kind (D; i1: the run's kind of each tie, ABSENT for a latent
               platform tie that does not exist at the share ties_share (f8) it was written for:
               ``sim.rules.ties.refresh_ties``)
    params:    mech (S, len(Mech); f8), const (len(Const); f8), soc_stay (S+1, N+1; f8:
               ``sim.params.socialization_table``), adoption_rule, funnel_rule, soc_rule,
               feed_rule, search_rule, code_blank, reality, stop_converged, seed (i8)
    employees: empowered, resourceful (E; b1), platform (E; i1: Platform), solution, known (E; i8:
               N-bit masks), fitness (E; f8), shared (E; b1: visible to colleagues), origin (E; i8:
               unit the solution came from), t_changed (E; i8: step its solution last changed),
               ever_submitted (E; b1), shows (E; i1: what the row shows colleagues who scan their
               ties, ``Shows`` bits as of the phase's start: ``sim.phases.show_rows``), and the
               *_next rows of the synchronous phases
    ideas:     idea_stage (E; i8: Stage, one slot per employee), idea_solution, idea_t_submit,
               idea_t_stage, idea_origin (E; i8), idea_sponsored (E; b1)
    customers: adopted, adopted_next (C; b1), adopted_share (f8: share of customers who had
               adopted at the end of the previous step), wom_share (C; f8: the weighted share of
               adopters among a customer's contacts), wom_stale (C; b1: a contact adopted since
               it was summed)
    landscape: table (N, 2**(K+1); f8), memo (2**N or 0; f8: every solution's score as built,
               ``sim.landscape``), bound (2**N / 8; f8: each block of 8 ranks' highest score),
               sbound (2**N / 512; f8: each superblock of 64 blocks' highest bound): the world's
               (never written: most runs of a sweep share one world) until the
               market first moves (own_landscape, b1), then the run's own table and bounds;
               moves (i8: the market's moves so far), move_row, move_delta, move_low, move_sub,
               move_rise (S, S x 2**(K+1), S x 8, S x 64, S x 2**(K+1); i8, f8, i8, i8, f8: each
               move's row, shift, the row's index at gray(0 .. 7) and at gray(8 * (0 .. 63)), and
               the largest shift of a block by its index), fresh (2**N / 512; i8: the moves
               applied to a superblock's block bounds: they lag, ``sim.landscape``);
               max_score (f8), optimum (i8)
    org:       t (i8: step being run), deployed, code, code_known (i8), deployed_fitness,
               code_fitness, initial_fitness (f8), code_at_start, code_known_at_start (i8: the code
               as of step t, which socialization reads), counts (len(Count); i8: this step's
               lapses, submissions, launches), moved (b1: the market moved this step)
    scratch:   due, priority (E; i8: the funnel's review queue), ones (N; i8: superior group's votes),
               pool (E; i8: the feed's posts in the feed rule's order), pool_size (i8)
    outputs:   series (S, len(Series); f8), lead_hist (S+1; i8), tally (len(Tally); f8)
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np
from llvmlite import ir
from numba import config, types
from numba.core import cgutils
from numba.core.datamodel import default_manager, models
from numba.core.errors import TypingError
from numba.core.extending import intrinsic, overload
from numba.core.imputils import impl_ret_borrowed, lower_getattr_generic, lower_setattr_generic
from numba.core.runtime.nrtdynmod import _meminfo_struct_type
from numba.core.typing.templates import AttributeTemplate, infer_getattr
from numba.experimental import structref

from sim.enums import Count, Stage
from sim.jit import njit
from sim.metrics import Series, Tally
from sim.params import Inputs

if TYPE_CHECKING:
    from sim.world import World

_I8, _F8, _B1 = types.Array(types.int64, 1, "C"), types.Array(types.float64, 1, "C"), \
    types.Array(types.boolean, 1, "C")
_I8_2D, _F8_2D = types.Array(types.int64, 2, "C"), types.Array(types.float64, 2, "C")
# rows read at random by the scans over ties, kept narrow so more of them stay in the cache
_I4, _I1 = types.Array(types.int32, 1, "C"), types.Array(types.int8, 1, "C")

# (name, Numba type): the one list of the run's variables; the proxy, the constructor and
# ``new_state`` are made from it
FIELDS = (
    # world
    ("unit", _I8), ("threshold", _F8), ("slow", _B1), ("access", _F8),
    ("influencer", _B1),
    ("indptr", _I8), ("nbr", _I4), ("kind", _I1), ("eu", _F8), ("tie_kind", _I1),
    ("ties_share", types.float64), ("adv_rank", _I4), ("contacts", _I8), ("dep", _I8_2D),
    ("exponent", types.float64),
    # params
    ("mech", _F8_2D), ("const", _F8), ("soc_stay", _F8_2D), ("adoption_rule", types.int64),
    ("funnel_rule", types.int64), ("soc_rule", types.int64), ("feed_rule", types.int64),
    ("search_rule", types.int64), ("code_blank", types.int64), ("reality", types.int64),
    ("stop_converged", types.int64), ("seed", types.int64),
    # employees
    ("empowered", _B1), ("resourceful", _B1), ("platform", _I1), ("platform_next", _I1),
    ("solution", _I8), ("solution_next", _I8), ("known", _I8), ("fitness", _F8),
    ("fitness_next", _F8), ("shared", _B1), ("shared_next", _B1), ("origin", _I8),
    ("origin_next", _I8), ("t_changed", _I8), ("ever_submitted", _B1), ("shows", _I1),
    # ideas (one slot per employee)
    ("idea_stage", _I8), ("idea_solution", _I8), ("idea_t_submit", _I8), ("idea_t_stage", _I8),
    ("idea_sponsored", _B1), ("idea_origin", _I8),
    # customers
    ("adopted", _B1), ("adopted_next", _B1), ("adopted_share", types.float64),
    ("wom_share", _F8), ("wom_stale", _B1),
    # landscape
    ("table", _F8_2D), ("memo", _F8), ("bound", _F8), ("sbound", _F8),
    ("own_landscape", types.boolean),
    ("moves", types.int64), ("move_row", _I8),
    ("move_delta", _F8_2D), ("move_low", _I8_2D), ("move_sub", _I8_2D), ("move_rise", _F8_2D),
    ("fresh", _I8), ("max_score", types.float64),
    ("optimum", types.int64),
    # organisation
    ("t", types.int64), ("deployed", types.int64), ("deployed_fitness", types.float64),
    ("code", types.int64), ("code_known", types.int64), ("code_fitness", types.float64),
    ("initial_fitness", types.float64), ("code_at_start", types.int64),
    ("code_known_at_start", types.int64), ("counts", _I8), ("moved", types.boolean),
    # scratch
    ("due", _I8), ("priority", _I8), ("ones", _I8), ("pool", _I8), ("pool_size", types.int64),
    # outputs
    ("series", _F8_2D), ("lead_hist", _I8), ("tally", _F8),
)
NAMES = tuple(name for name, _ in FIELDS)


@structref.register
class StateType(types.StructRef):
    """Numba type of :class:`State`."""

    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class State(structref.StructRefProxy):
    """A run's state (fields: module docstring). ``arrays``: the field arrays by name, the same
    memory as the compiled state's."""

    arrays: dict[str, np.ndarray]


structref.define_boxing(StateType, State)
STATE_TYPE = StateType(FIELDS)


class BorrowedStateType(types.StructRef):
    """Numba type of a run's state as the kernel's phases hand it on (:func:`borrow`): the same
    payload, reached through a pointer that is not reference-counted."""

    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class _BorrowedModel(models.StructModel):
    # the meminfo as a plain pointer: Numba emits no increment or decrement for it
    def __init__(self, dmm, fe_typ):
        super().__init__(dmm, fe_typ, [("meminfo", types.voidptr)])


default_manager.register(BorrowedStateType, _BorrowedModel)
BORROWED_TYPE = BorrowedStateType(FIELDS)

# the fields a run assigns: the organisation's and the market's scalars, and the arrays of the
# run's own landscape (bound to new arrays when the market first moves). Every other field keeps
# what ``new_state`` gave it for the whole run (arrays are written in place, never rebound): the
# borrowed view refuses to assign one (``_borrowed_setattr``), so this list cannot go stale
WRITTEN = frozenset({"t", "moved", "pool_size", "deployed", "deployed_fitness", "code",
                     "code_known", "code_fitness", "initial_fitness", "code_at_start",
                     "code_known_at_start", "adopted_share", "ties_share", "own_landscape",
                     "max_score", "optimum", "moves", "table", "bound", "sbound", "move_row",
                     "move_delta", "move_low", "move_sub", "move_rise", "fresh"})
FIXED = frozenset(name for name, _ in FIELDS if name not in WRITTEN)


def _load_invariant(builder, ptr):
    """Load ``*ptr`` element by element, each load marked ``!invariant.load``."""
    pointee = ptr.type.pointee
    if isinstance(pointee, (ir.LiteralStructType, ir.ArrayType)):
        n = len(pointee.elements) if isinstance(pointee, ir.LiteralStructType) else pointee.count
        value = ir.Constant(pointee, ir.Undefined)
        for k in range(n):
            part = _load_invariant(builder, cgutils.gep_inbounds(builder, ptr, 0, k))
            value = builder.insert_value(value, part, k)
        return value
    load = builder.load(ptr)
    load.set_metadata("invariant.load", builder.module.add_metadata([]))
    return load


@infer_getattr
class _BorrowedAttribute(AttributeTemplate):
    key = BorrowedStateType

    def generic_resolve(self, typ, attr):
        return typ.field_dict.get(attr)


@lower_setattr_generic(BorrowedStateType)
def _borrowed_setattr(context, builder, sig, args, attr):
    """A field of the borrowed state set, as a structref's is (the new value's reference taken,
    the old one's released)."""
    if attr in FIXED:
        raise TypingError(f"the kernel assigns state field {attr!r}: add it to sim.state.WRITTEN")
    (inst_type, val_type), (instance, val) = sig.args, args
    dataval = structref._Utils(context, builder, inst_type).get_data_struct(instance)
    casted = context.cast(builder, val, val_type, inst_type.field_dict[attr])
    old = getattr(dataval, attr)
    context.nrt.incref(builder, val_type, casted)
    context.nrt.decref(builder, val_type, old)
    setattr(dataval, attr, casted)


@lower_getattr_generic(BorrowedStateType)
def _borrowed_getattr(context, builder, typ, val, attr):
    """A field of the borrowed state. The payload's address, the parameters and each fixed
    array's descriptor (data pointer, shape, strides) never change while a kernel runs, and
    saying so (``!invariant.load``) lets LLVM keep them in registers across the loops over
    agents: without it every store into a row may, for all LLVM knows, have rebound an array or
    changed a rule, so each agent's rule reloads them. The fields in ``WRITTEN`` are read anew
    each time."""
    meminfo = cgutils.create_struct_proxy(typ)(context, builder, value=val).meminfo
    info = builder.bitcast(meminfo, _meminfo_struct_type.as_pointer())
    data = _load_invariant(builder, cgutils.gep_inbounds(builder, info, 0, 3))  # MemInfo's data
    payload_type = context.data_model_manager[typ.get_data_type()].get_value_type()
    payload = builder.bitcast(data, payload_type.as_pointer())
    dataval = cgutils.create_struct_proxy(typ.get_data_type())(context, builder, ref=payload)
    if attr in FIXED:
        value = _load_invariant(builder, dataval._get_ptr_by_name(attr))
    else:
        value = getattr(dataval, attr)
    return impl_ret_borrowed(context, builder, typ.field_dict[attr], value)


@intrinsic
def _borrow(typingctx, s):
    def codegen(context, builder, signature, args):
        owned = cgutils.create_struct_proxy(signature.args[0])(context, builder, value=args[0])
        view = cgutils.create_struct_proxy(BORROWED_TYPE)(context, builder)
        view.meminfo = builder.bitcast(owned.meminfo, view.meminfo.type)
        return view._getvalue()

    return BORROWED_TYPE(s), codegen


def borrow(s):
    """The state ``s`` as the kernel hands it to its phases and rules: the same memory, without
    reference counting (the caller keeps ``s`` alive while the view is used).

    Why: Numba counts references to a structref atomically, and a call that takes the state and
    branches keeps its increment and decrement (about 20 ns a call, measured: 21 ns against
    0.9 ns), which at a dozen per-agent calls per employee-step was most of the kernel's time.
    The Mesa model calls the same rules on the owned state. Plain Python (JIT disabled): ``s``."""
    return s


@overload(borrow, inline="always")
def _borrow_impl(s):
    if isinstance(s, BorrowedStateType):
        return lambda s: s
    return lambda s: _borrow(s)


class PlainState(SimpleNamespace):
    """The state as a plain Python object, when Numba's JIT is disabled (``NUMBA_DISABLE_JIT=1``:
    the rules and phases then run as Python, where a structref cannot be made)."""

    arrays: dict[str, np.ndarray]


@njit(cache=True)
def _make(unit, threshold, slow, access, influencer, indptr, nbr, kind, eu, tie_kind, ties_share,
          adv_rank, contacts,
          dep, exponent, mech, const, soc_stay, adoption_rule, funnel_rule, soc_rule, feed_rule,
          search_rule, code_blank, reality, stop_converged, seed, empowered, resourceful,
          platform, platform_next, solution, solution_next, known, fitness, fitness_next, shared,
          shared_next, origin, origin_next, t_changed, ever_submitted, shows, idea_stage, idea_solution,
          idea_t_submit, idea_t_stage, idea_sponsored, idea_origin, adopted, adopted_next,
          adopted_share, wom_share, wom_stale, table, memo, bound, sbound, own_landscape,
          moves, move_row, move_delta, move_low, move_sub, move_rise, fresh, max_score, optimum,
          t, deployed, deployed_fitness, code, code_known, code_fitness, initial_fitness, code_at_start,
          code_known_at_start, counts, moved, due, priority, ones, pool, pool_size, series,
          lead_hist, tally):
    """Compiled constructor: one argument per field of ``FIELDS``, in its order (tested)."""
    s = structref.new(STATE_TYPE)
    s.unit = unit
    s.threshold = threshold
    s.slow = slow
    s.access = access
    s.influencer = influencer
    s.indptr = indptr
    s.nbr = nbr
    s.kind = kind
    s.eu = eu
    s.tie_kind = tie_kind
    s.ties_share = ties_share
    s.adv_rank = adv_rank
    s.contacts = contacts
    s.dep = dep
    s.exponent = exponent
    s.mech = mech
    s.const = const
    s.soc_stay = soc_stay
    s.adoption_rule = adoption_rule
    s.funnel_rule = funnel_rule
    s.soc_rule = soc_rule
    s.feed_rule = feed_rule
    s.search_rule = search_rule
    s.code_blank = code_blank
    s.reality = reality
    s.stop_converged = stop_converged
    s.seed = seed
    s.empowered = empowered
    s.resourceful = resourceful
    s.platform = platform
    s.platform_next = platform_next
    s.solution = solution
    s.solution_next = solution_next
    s.known = known
    s.fitness = fitness
    s.fitness_next = fitness_next
    s.shared = shared
    s.shared_next = shared_next
    s.origin = origin
    s.origin_next = origin_next
    s.t_changed = t_changed
    s.ever_submitted = ever_submitted
    s.shows = shows
    s.idea_stage = idea_stage
    s.idea_solution = idea_solution
    s.idea_t_submit = idea_t_submit
    s.idea_t_stage = idea_t_stage
    s.idea_sponsored = idea_sponsored
    s.idea_origin = idea_origin
    s.adopted = adopted
    s.adopted_next = adopted_next
    s.adopted_share = adopted_share
    s.wom_share = wom_share
    s.wom_stale = wom_stale
    s.table = table
    s.memo = memo
    s.bound = bound
    s.sbound = sbound
    s.own_landscape = own_landscape
    s.moves = moves
    s.move_row = move_row
    s.move_delta = move_delta
    s.move_low = move_low
    s.move_sub = move_sub
    s.move_rise = move_rise
    s.fresh = fresh
    s.max_score = max_score
    s.optimum = optimum
    s.t = t
    s.deployed = deployed
    s.deployed_fitness = deployed_fitness
    s.code = code
    s.code_known = code_known
    s.code_fitness = code_fitness
    s.initial_fitness = initial_fitness
    s.code_at_start = code_at_start
    s.code_known_at_start = code_known_at_start
    s.counts = counts
    s.moved = moved
    s.due = due
    s.priority = priority
    s.ones = ones
    s.pool = pool
    s.pool_size = pool_size
    s.series = series
    s.lead_hist = lead_hist
    s.tally = tally
    return s


def new_state(world: World, inputs: Inputs, seed: int, steps: int) -> State | PlainState:
    """A run's state at step 0: the world's arrays (copied where the run changes them), the
    parameters, and R0's initial solutions, deployed solution and code (``sim.phases.initialise``).

    world, inputs: from ``sim.world.build_world`` and ``sim.params.build_inputs`` for the same
    scenario; seed: run seed in [0, 2**63); steps: horizon (the rows of ``inputs.mech``).
    """
    from sim.phases import initialise
    from sim.rules.technology import access_draws

    pop, g, land = world.population, world.graph, world.landscape
    n_emp, n_cust, nk_n = pop.n_employees, pop.n_customers, land.dep.shape[0]
    e_i8, e_b1 = (lambda: np.zeros(n_emp, np.int64)), (lambda: np.zeros(n_emp, np.bool_))
    values = {
        "unit": pop.unit, "threshold": world.threshold, "slow": world.slow,
        "access": access_draws(int(seed), n_emp),
        "influencer": pop.influencer, "indptr": g.indptr, "nbr": g.nbr, "kind": g.kind, "eu": g.eu,
        "tie_kind": g.kind.copy(), "ties_share": np.nan,
        "adv_rank": g.adv_rank, "contacts": g.contacts, "dep": land.dep,
        "exponent": float(land.exponent),
        "mech": inputs.mech, "const": inputs.const, "soc_stay": inputs.soc_stay,
        "adoption_rule": inputs.adoption_rule,
        "funnel_rule": inputs.funnel_rule, "soc_rule": inputs.socialization_rule,
        "feed_rule": inputs.feed_rule, "search_rule": inputs.search_rule,
        "code_blank": inputs.code_blank, "reality": inputs.reality,
        "stop_converged": inputs.stop_converged, "seed": int(seed),
        "empowered": pop.empowered.copy(), "resourceful": pop.resourceful.copy(),
        "platform": world.platform0.copy(), "platform_next": np.zeros(n_emp, np.int8), "solution": e_i8(),
        "solution_next": e_i8(), "known": e_i8(), "fitness": np.zeros(n_emp),
        "fitness_next": np.zeros(n_emp), "shared": e_b1(), "shared_next": e_b1(),
        "origin": pop.unit.copy(), "origin_next": pop.unit.copy(), "t_changed": e_i8(),
        "ever_submitted": e_b1(), "shows": np.zeros(n_emp, np.int8),
        "idea_stage": np.full(n_emp, int(Stage.NONE), np.int64), "idea_solution": e_i8(),
        "idea_t_submit": e_i8(), "idea_t_stage": e_i8(), "idea_sponsored": e_b1(),
        "idea_origin": e_i8(),
        "adopted": np.zeros(n_cust, np.bool_), "adopted_next": np.zeros(n_cust, np.bool_),
        "adopted_share": 0.0,
        "wom_share": np.zeros(n_cust), "wom_stale": np.ones(n_cust, np.bool_),
        # only turbulence changes the landscape: the run's own table and bounds (own_landscape)
        "table": land.table, "memo": land.memo, "bound": land.bound, "sbound": land.sbound,
        "own_landscape": False,
        "moves": 0, "move_row": np.empty(0, np.int64), "move_delta": np.empty((0, land.table.shape[1])),
        "move_low": np.empty((0, 8), np.int64), "move_sub": np.empty((0, 64), np.int64),
        "move_rise": np.empty((0, land.table.shape[1])), "fresh": np.empty(0, np.int64),
        "max_score": float(land.max_score),
        "optimum": int(land.optimum),
        "t": 0, "deployed": 0, "deployed_fitness": 0.0, "code": 0, "code_known": 0,
        "code_fitness": 0.0, "initial_fitness": 0.0, "code_at_start": 0, "code_known_at_start": 0,
        "counts": np.zeros(len(Count), np.int64), "moved": False,
        "due": e_i8(), "priority": e_i8(), "ones": np.zeros(nk_n, np.int64),
        "pool": e_i8(), "pool_size": 0,
        "series": np.zeros((steps, len(Series)), np.float64),
        "lead_hist": np.zeros(steps + 1, np.int64), "tally": np.zeros(len(Tally), np.float64),
    }
    if config.DISABLE_JIT:
        state = PlainState(**values)
    else:
        state = _make(*(values[name] for name in NAMES))
    state.arrays = {k: v for k, v in values.items() if isinstance(v, np.ndarray)}
    initialise(state)
    return state
