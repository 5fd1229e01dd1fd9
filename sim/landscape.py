"""The NK fitness landscape of the customers' problem (ODD rule R0-NK).

A solution is an ``nk_n``-bit integer. Bit ``i`` contributes ``table[i, idx]`` where ``idx`` packs
the values of the bits ``dep[i, 0..K]`` (``dep[i, 0] == i``). The score is the mean contribution and
the fitness is ``(score / max_score) ** exponent`` (Lazer & Friedman 2007), so the global optimum has
fitness 1. ``max_score`` is found exactly by enumerating all 2**N solutions in Gray-code order,
summing contributions in the same order as :func:`score` so the maximum is bit-identical to a score.

When the market moves (turbulence) a run logs each move's shift and a score read afterwards is the
memo's plus the shifts of the moves so far (:func:`current_score`); the new maximum is searched only
in the blocks of 8 ranks whose upper bound can reach it (:func:`redraw_and_rescore`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from llvmlite import ir
from numba import config, types
from numba.extending import intrinsic

from sim.jit import njit
from sim.rng import Stream, generator, uniform

MAX_N = 24  # 2**24 solutions enumerate in about a second; beyond that the exact maximum is too slow
MAX_N_K0 = 62  # with K = 0 bits are independent: the maximum needs no enumeration (int64 solutions)
MAX_N_MEMO = 22  # the enumeration keeps every score up to 2**22 solutions (32 MiB); beyond, none
BLOCK_BITS = 3  # a block of the memo: the 2**3 ranks that share their bits from 3 up (see bounds)
SUPER_BITS = 6  # a superblock: 2**6 blocks (their bounds are brought up to date when it is read)


_NONE_F8, _NONE_I8 = np.empty(0), np.empty(0, np.int64)


class LandscapeArrays(NamedTuple):
    """What :func:`fitness_of` reads, as compiled code takes it (a run's state has the same
    fields). A built landscape has not moved: ``moves`` is 0 and the lazy fields are empty (never
    read then)."""

    dep: np.ndarray
    table: np.ndarray
    memo: np.ndarray
    max_score: float
    exponent: float
    moves: int = 0
    bound: np.ndarray = _NONE_F8
    move_row: np.ndarray = _NONE_I8
    move_delta: np.ndarray = np.empty((0, 0))
    move_low: np.ndarray = np.empty((0, 0), np.int64)


@dataclass(frozen=True)
class Landscape:
    """NK landscape arrays. ``dep``: int64 (N, K+1); ``table``: float64 (N, 2**(K+1)); ``memo``:
    float64 (2**N,): every solution's score, kept by the exact search of the maximum when K > 0 and
    N <= MAX_N_MEMO, else empty (scores are then computed); ``bound``: float64 (one per block of
    the memo, :func:`block_bounds`): each block's highest score; ``sbound``: float64 (one per
    superblock of 2**SUPER_BITS blocks, :func:`super_bounds`): each superblock's highest bound."""

    dep: np.ndarray
    table: np.ndarray
    max_score: float
    exponent: float
    optimum: int  # a solution with the maximum score
    memo: np.ndarray
    bound: np.ndarray
    sbound: np.ndarray

    def arrays(self) -> LandscapeArrays:
        return LandscapeArrays(self.dep, self.table, self.memo, self.max_score, self.exponent)

    @property
    def n(self) -> int:
        return self.dep.shape[0]

    @property
    def k(self) -> int:
        return self.dep.shape[1] - 1


def build_landscape(n: int, k: int, exponent: float, seed: int, kind: str = "nk") -> Landscape:
    """Draw a landscape with N = ``n`` bits.

    kind "nk": K = ``k`` random interacting bits per bit, contributions U(0, 1) (Kauffman 1993).
    kind "reality": March's (1991) reality, a random ``n``-bit string; a bit contributes 1 when it
    matches reality, else 0 (K must be 0), so the score is the share of correct bits.
    """
    limit = MAX_N_K0 if k == 0 else MAX_N
    if not 1 <= n <= limit:
        raise ValueError(f"nk_n must be in [1, {limit}] when nk_k = {k}, got {n}")
    if not 0 <= k < n:
        raise ValueError(f"nk_k must be in [0, nk_n - 1], got {k}")
    rng = generator(seed, Stream.LANDSCAPE)
    if kind == "reality":
        if k != 0:
            raise ValueError(f"a reality landscape has nk_k = 0, got {k}")
        truth = rng.integers(0, 2, n)
        table = np.zeros((n, 2))
        table[np.arange(n), truth] = 1.0
        dep = np.arange(n, dtype=np.int64)[:, None]
    else:
        dep = np.empty((n, k + 1), dtype=np.int64)
        for i in range(n):  # k of the other bits: the same draws as choosing from them by value
            pick = rng.choice(n - 1, size=k, replace=False)
            dep[i, 0] = i
            dep[i, 1:] = pick + (pick >= i)
        table = rng.random((n, 1 << (k + 1)))
    memo = np.empty(memo_size(n, k), np.float64)
    bound = np.empty(n_blocks(memo.shape[0]))
    best, arg = global_max_score(dep, table, memo, bound)
    return Landscape(dep, table, float(best), float(exponent), int(arg), memo, bound,
                     super_bounds(bound))


def memo_size(n: int, k: int) -> int:
    """Entries of a landscape's score memo: 2**N when the maximum is found by enumeration."""
    return 1 << n if 0 < k and n <= MAX_N_MEMO else 0


@njit(cache=True)
def n_blocks(size):
    """Blocks of a memo of ``size`` scores (:func:`block_bounds`)."""
    return (size + (1 << BLOCK_BITS) - 1) >> BLOCK_BITS


@njit(cache=True)
def _group_max(values, bits):
    """The highest of each group of 2**bits consecutive values (the last group maybe shorter)."""
    out = np.empty((values.shape[0] + (1 << bits) - 1) >> bits)
    for j in range(out.shape[0]):
        top = -np.inf
        for i in range(j << bits, min((j + 1) << bits, values.shape[0])):
            top = max(top, values[i])
        out[j] = top
    return out


@njit(cache=True)
def block_bounds(memo):
    """Each block's highest score: block m holds the ranks m * 8 .. m * 8 + 7."""
    return _group_max(memo, BLOCK_BITS)


@njit(cache=True)
def super_bounds(bound):
    """Each superblock's highest block bound: superblock j holds the blocks j * 64 .. j * 64 + 63."""
    return _group_max(bound, SUPER_BITS)


@njit(cache=True)
def score(sol, dep, table):
    """Mean contribution of solution ``sol`` (an int), in [0, 1)."""
    n, kp1 = dep.shape
    total = 0.0
    for i in range(n):
        idx = 0
        for b in range(kp1):
            idx |= ((sol >> dep[i, b]) & 1) << b
        total += table[i, idx]
    return total / n


@njit(cache=True, inline="always")
def gray_rank(sol):
    """The step g of the Gray-code enumeration at which solution ``sol`` (= g ^ (g >> 1)) comes."""
    g = sol
    shift = 1
    while shift < 64:
        g ^= g >> shift
        shift *= 2
    return g


@njit(cache=True)
def fitness_of(land, sol):
    """Normalised fitness (score / max_score) ** exponent of ``sol``, in [0, 1], on ``land`` (a
    run's state, or :class:`LandscapeArrays`). The score is the memo's when there is one (the same
    number :func:`score` gives; once the market has moved, :func:`current_score`), else
    computed.

    Each branch reads its arrays in a function of its own: an array field read in a branch is
    reference-counted, and LLVM merges the branches' releases into one after them, where Numba's
    pruning no longer pairs them (an atomic increment and decrement per lookup, measured in the
    kernel's code)."""
    if land.memo.shape[0] == 0:
        value = _computed_score(land, sol)
    elif land.moves == 0:
        value = _memo_score(land, gray_rank(sol))
    else:
        value = current_score(land, sol)
    return (value / land.max_score) ** land.exponent


@njit(cache=True)
def _computed_score(land, sol):
    return score(sol, land.dep, land.table)


@njit(cache=True)
def _memo_score(land, g):
    return land.memo[g]


@njit(cache=True)
def current_score(land, sol):
    """The score of ``sol`` on a landscape that has moved: the world's memo plus each move's shift
    at ``sol``, in the order of the moves: the same additions as shifting every score at each move
    would make (bit-identical). Nothing is kept per run but the log of the moves: a run's own copy
    of 2**N scores cost more in fresh memory pages than its reads saved."""
    dep, rows, delta = land.dep, land.move_row, land.move_delta
    value = land.memo[gray_rank(sol)]
    for e in range(land.moves):
        value += delta[e, packed_index(sol, dep, rows[e])]
    return value


@njit(cache=True, inline="always")
def _block_scores(land, m, out):
    """The current scores of block ``m`` (ranks m * 8 ..) into ``out``; return their highest.

    Ranks m * 8 + r have the solutions gray(m * 8) ^ gray(r) and a packed index is linear under
    xor, so a move's shift for rank r is read at (the index at gray(m * 8)) ^ move_low[e, r]."""
    dep, rows, delta, low = land.dep, land.move_row, land.move_delta, land.move_low
    g0 = m << BLOCK_BITS
    size = min(1 << BLOCK_BITS, land.memo.shape[0] - g0)
    for r in range(size):
        out[r] = land.memo[g0 + r]
    sol0 = g0 ^ (g0 >> 1)
    for e in range(land.moves):
        x = packed_index(sol0, dep, rows[e])
        for r in range(size):
            out[r] += delta[e, x ^ low[e, r]]
    top = -np.inf
    for r in range(size):
        top = max(top, out[r])
    return top


@njit(cache=True, inline="always")
def packed_index(sol, dep, i):
    """Contribution ``i``'s index into its table row at solution ``sol``."""
    idx = 0
    for b in range(dep.shape[1]):
        idx |= ((sol >> dep[i, b]) & 1) << b
    return idx


@njit(cache=True)
def expected_fitness(sol, known, dep, table, max_score, exponent):
    """Fitness of the expected score of acting on ``sol`` when only the bits in ``known`` are
    decided and each undecided bit is a fair coin: a contribution averages its table over the
    undecided bits it depends on. Equals :func:`fitness_of` when every bit is decided."""
    n, kp1 = dep.shape
    total = 0.0
    for i in range(n):
        idx = 0
        free = 0  # positions (in this contribution's index) of undecided bits
        for b in range(kp1):
            bit = dep[i, b]
            if (known >> bit) & 1:
                idx |= ((sol >> bit) & 1) << b
            else:
                free |= 1 << b
        if free == 0:
            total += table[i, idx]
            continue
        acc = 0.0
        count = 0
        sub = free
        while True:  # every subset of the free positions
            acc += table[i, idx | sub]
            count += 1
            if sub == 0:
                break
            sub = (sub - 1) & free
        total += acc / count
    return (total / n / max_score) ** exponent


@njit(cache=True)
def global_max_score(dep, table, memo, bound):
    """Exact maximum of :func:`score` over all 2**N solutions, and a solution reaching it; when
    ``memo`` has 2**N entries, every solution's score is kept in it, at its rank in the enumeration
    (:func:`gray_rank`; K > 0 only), and each block's highest score in ``bound``
    (:func:`block_bounds`).

    With K = 0 the bits are independent: the best value of each bit gives the maximum. Otherwise a
    Gray-code enumeration: flipping bit j changes only the packed indices of the contributions that
    depend on j, so each step updates those indices in O(K) and re-sums the N contributions in the
    same order as :func:`score`, which keeps the result bit-identical to scoring the argmax. The
    first maximum in enumeration order wins. Landscapes of 5 bits or more whose tables are small
    are enumerated by :func:`_enumerate_blocks` (the same scores, faster).
    """
    n, kp1 = dep.shape
    if kp1 == 1:
        arg = 0
        for i in range(n):
            if table[i, 1] > table[i, 0]:
                arg |= 1 << i
        return score(arg, dep, table), arg
    keep = memo.shape[0] == 1 << n
    if n >= _BLOCK_BITS + 2 and n * table.shape[1] <= _MAX_BLOCK_ROWS:
        return _enumerate_blocks(dep, table, memo, bound, keep)
    # pos[j, i] = position of bit j in contribution i's index, or -1
    pos = np.full((n, n), -1, dtype=np.int64)
    for i in range(n):
        for b in range(kp1):
            pos[dep[i, b], i] = b
    idx = np.zeros(n, dtype=np.int64)
    best = 0.0
    for i in range(n):
        best += table[i, 0]
    if keep:  # in enumeration order (sequential writes): solution gray(g) at g, see gray_rank
        memo[0] = best / n
    arg = 0
    sol = 0
    for g in range(1, 1 << n):
        j = 0  # the bit that changes between Gray codes g-1 and g: lowest set bit of g
        while ((g >> j) & 1) == 0:
            j += 1
        sol ^= 1 << j
        for i in range(n):
            if pos[j, i] >= 0:
                idx[i] ^= 1 << pos[j, i]
        total = 0.0
        for i in range(n):
            total += table[i, idx[i]]
        if keep:
            memo[g] = total / n
        if total > best:
            best = total
            arg = sol
    if keep:
        bound[:] = block_bounds(memo)
    return best / n, arg


_BLOCK_BITS = 3  # _enumerate_blocks scores 2**3 solutions per block and 4 blocks at a time
_ROW = 32  # values per row of its block table: 8 ranks of each of the 4 quarters
_MAX_BLOCK_ROWS = 1 << 17  # N * 2**(K+1) up to this: its table of blocks (32 values a row) is 32 MiB


def _block_step_py(blocks, row, n, memo, bound, g0, stride, keep, best, arg_c, c):
    """One step of :func:`_enumerate_blocks`: for each of the 4 quarters q and each rank r = 0 ..
    7, the sum over i = 0 .. n - 1 (from 0.0, in that order) of ``blocks[row[i] + q * 8 + r]``.
    Sum k = q * 8 + r above ``best[k]`` replaces it, and ``arg_c[k]`` becomes ``c``. When
    ``keep`` is 1, each sum divided by n (a score) is stored at ``memo[g0 + q * stride + r]``
    and the highest of a quarter's 8 scores at ``bound[(g0 + q * stride) // 8]`` (g0 and stride
    multiples of 8: a block of the memo). Returns 0. Plain Python (and the reference for the
    compiled version, :func:`_block_step`)."""
    for q in range(4):
        top = -np.inf
        for r in range(8):
            total = 0.0
            for i in range(n):
                total += blocks[row[i] + q * 8 + r]
            k = q * 8 + r
            if total > best[k]:
                best[k] = total
                arg_c[k] = c
            if keep:
                memo[g0 + q * stride + r] = total / n
                top = max(top, total / n)
        if keep:
            bound[(g0 + q * stride) >> BLOCK_BITS] = top
    return 0


if config.DISABLE_JIT:
    _block_step = _block_step_py
else:
    @intrinsic
    def _block_step(typingctx, blocks, row, n, memo, bound, g0, stride, keep, best, arg_c, c):
        """:func:`_block_step_py` compiled to one loop over i carrying four <8 x double>
        accumulators: each step loads a quarter's 8 values at once and adds them lane by lane
        (IEEE additions, no reassociation: every lane is the same chain of sums as the plain
        loop), four independent vectors in flight. The running maxima are four vector compares
        and selects (a loop over the 32 sums outside it, kept for each, had cost 0.3-0.6 ms of
        2.4-3.2 at N = 20); the scores are four vector divisions (the same IEEE divisions) and
        stores, and a block's bound the largest of its 8 by three shuffles and selects (a tree
        over the extracted lanes took 0.17 ms more)."""
        ret = types.int64

        def codegen(context, builder, signature, args):
            vec = ir.VectorType(ir.DoubleType(), 8)
            i64, i32 = ir.IntType(64), ir.IntType(32)
            ivec = ir.VectorType(i64, 8)
            blocks_a, row_a, memo_a, bound_a, best_a, arg_a = (
                context.make_array(signature.args[a])(context, builder, args[a])
                for a in (0, 1, 3, 4, 8, 9))
            n_v, g0_v, stride_v, keep_v, c_v = args[2], args[5], args[6], args[7], args[10]
            before = builder.block
            loop = builder.append_basic_block("block_step.loop")
            done = builder.append_basic_block("block_step.done")
            zero = ir.Constant(vec, [0.0] * 8)
            builder.cbranch(builder.icmp_signed(">", n_v, ir.Constant(i64, 0)), loop, done)
            builder.position_at_end(loop)
            i = builder.phi(i64)
            i.add_incoming(ir.Constant(i64, 0), before)
            acc = []
            for _ in range(4):
                a = builder.phi(vec)
                a.add_incoming(zero, before)
                acc.append(a)
            at = builder.load(builder.gep(row_a.data, [i]))
            nxt = []
            for q in range(4):
                ptr = builder.gep(blocks_a.data, [builder.add(at, ir.Constant(i64, q * 8))])
                value = builder.load(builder.bitcast(ptr, vec.as_pointer()), align=8)
                nxt.append(builder.fadd(acc[q], value))
            i_next = builder.add(i, ir.Constant(i64, 1))
            i.add_incoming(i_next, loop)
            for q in range(4):
                acc[q].add_incoming(nxt[q], loop)
            builder.cbranch(builder.icmp_signed("<", i_next, n_v), loop, done)
            builder.position_at_end(done)
            res = []
            for q in range(4):
                r = builder.phi(vec)
                r.add_incoming(zero, before)
                r.add_incoming(nxt[q], loop)
                res.append(r)

            def splat(value, kind):
                out = ir.Constant(kind, ir.Undefined)
                for r in range(8):
                    out = builder.insert_element(out, value, ir.Constant(i32, r))
                return out

            c_vec = splat(c_v, ivec)
            for q in range(4):
                at_q = ir.Constant(i64, q * 8)
                best_p = builder.bitcast(builder.gep(best_a.data, [at_q]), vec.as_pointer())
                arg_p = builder.bitcast(builder.gep(arg_a.data, [at_q]), ivec.as_pointer())
                best_v = builder.load(best_p, align=8)
                above = builder.fcmp_ordered(">", res[q], best_v)
                builder.store(builder.select(above, res[q], best_v), best_p, align=8)
                arg_v = builder.load(arg_p, align=8)
                builder.store(builder.select(above, c_vec, arg_v), arg_p, align=8)
            store = builder.append_basic_block("block_step.store")
            stored = builder.append_basic_block("block_step.stored")
            builder.cbranch(builder.icmp_signed("!=", keep_v, ir.Constant(i64, 0)), store, stored)
            builder.position_at_end(store)
            n_vec = splat(builder.sitofp(n_v, ir.DoubleType()), vec)
            for q in range(4):
                at = builder.add(g0_v, builder.mul(stride_v, ir.Constant(i64, q)))
                ptr = builder.bitcast(builder.gep(memo_a.data, [at]), vec.as_pointer())
                scores = builder.fdiv(res[q], n_vec)
                builder.store(scores, ptr, align=8)
                top = scores  # max(a, b): a when a > b, else b (scores are not NaN)
                for half in (4, 2, 1):
                    turn = ir.Constant(ir.VectorType(i32, 8), [(r + half) % 8 for r in range(8)])
                    other = builder.shuffle_vector(top, top, turn)
                    top = builder.select(builder.fcmp_ordered(">", top, other), top, other)
                top_at = builder.ashr(at, ir.Constant(i64, BLOCK_BITS))
                builder.store(builder.extract_element(top, ir.Constant(i32, 0)),
                              builder.gep(bound_a.data, [top_at]))
            builder.branch(stored)
            builder.position_at_end(stored)
            return ir.Constant(i64, 0)

        return ret(blocks, row, n, memo, bound, g0, stride, keep, best, arg_c, c), codegen


@njit(cache=True)
def _enumerate_blocks(dep, table, memo, bound, keep):
    """:func:`global_max_score`'s enumeration (K > 0, N >= 5), by blocks of 8 ranks, four
    quarters of the ranks side by side.

    The Gray code is linear under xor: gray(8c + r) = gray(8c) ^ gray(r), and so is a
    contribution's packed index, so contribution i at rank 8c + r reads ``table[i, x ^ low[i, r]]``
    where x is its index at gray(8c) and low[i, r] its index at gray(r); in quarter q (ranks from
    g_q = q * 2**N / 4 up) it reads ``table[i, x ^ high[i, q] ^ low[i, r]]``, high[i, q] its index
    at gray(g_q). A block table holds those 32 values, in (q, r) order, for every (i, x): a step's
    32 sums read one row of it per contribution (:func:`_block_step`: 32 independent chains of
    additions, as four vectors of 8, which the processor overlaps). Between blocks c and c + 1
    the bits 2 and 3 + (lowest set bit of c + 1) change (gray(8c) ^ gray(8c + 8)), which moves
    the rows of the contributions that read them. Each sum runs over the contributions in the
    order of :func:`score` from 0.0, so every score is bit-identical to the one-by-one
    enumeration's; the first maximum of each of the 32 sub-sequences is kept and the earliest
    rank among the equal best wins, as in the one-by-one enumeration.
    """
    n, kp1 = dep.shape
    width = table.shape[1]
    quarter = (1 << n) // 32  # blocks per quarter
    # rows start on a 64-byte line: a row's vector loads then never straddle two lines (a table
    # 8 bytes off took 2.1 ms against 1.7)
    raw = np.empty(n * width * _ROW + 8)
    first = ((-raw.ctypes.data) % 64) // 8
    blocks = raw[first:first + n * width * _ROW]
    for i in range(n):
        for q in range(4):
            g = q * quarter * 8
            high = packed_index(g ^ (g >> 1), dep, i)
            for r in range(8):
                low = packed_index(r ^ (r >> 1), dep, i)
                for x in range(width):
                    blocks[(i * width + x) * _ROW + q * 8 + r] = table[i, x ^ high ^ low]
    # flipping bit j xors the block-table rows of the contributions that read it (CSR by bit)
    start = np.zeros(n + 1, np.int64)
    for i in range(n):
        for b in range(kp1):
            start[dep[i, b] + 1] += 1
    for j in range(n):
        start[j + 1] += start[j]
    fill = start[:n].copy()
    contrib = np.empty(start[n], np.int64)
    flip = np.empty(start[n], np.int64)
    for i in range(n):
        for b in range(kp1):
            j = dep[i, b]
            contrib[fill[j]] = i
            flip[fill[j]] = (1 << b) * _ROW
            fill[j] += 1
    row = np.empty(n, np.int64)  # row[i]: contribution i's block-table row (x = its index at 0)
    for i in range(n):
        row[i] = i * width * _ROW
    best = np.full(32, -1.0)  # sum k = q * 8 + r's first maximum, at block arg_c[k] of quarter q
    arg_c = np.zeros(32, np.int64)
    for c in range(quarter):
        _block_step(blocks, row, n, memo, bound, c * 8, quarter * 8, np.int64(keep), best, arg_c,
                    c)
        j = 0
        while (((c + 1) >> j) & 1) == 0:
            j += 1
        for bit in (2, 3 + j):
            if bit < n:
                for e in range(start[bit], start[bit + 1]):
                    row[contrib[e]] ^= flip[e]
    top, top_g = 0, arg_c[0] * 8
    for k in range(1, 32):
        g = ((k >> 3) * quarter + arg_c[k]) * 8 + (k & 7)
        if best[k] > best[top] or (best[k] == best[top] and g < top_g):
            top, top_g = k, g
    return best[top] / n, top_g ^ (top_g >> 1)


@njit(cache=True)
def flip_row(table, row):
    """March's turbulence on a reality landscape: the true value of bit ``row`` flips."""
    a = table[row, 0]
    table[row, 0] = table[row, 1]
    table[row, 1] = a


@njit(cache=True)
def redraw_row(table, row, key):
    """Redraw bit ``row``'s contribution table in place from draws ``(key, 1 + row, c)``."""
    for c in range(table.shape[1]):
        table[row, c] = uniform(key, 1 + row, c)


@njit(cache=True, inline="always")
def _best_of_block(land, m, best, arg_g, buf):
    """The first maximum in rank order of (best at arg_g) and block ``m``'s current scores; the
    block's bound becomes its highest score."""
    land.bound[m] = _block_scores(land, m, buf)
    for r in range(min(1 << BLOCK_BITS, land.memo.shape[0] - (m << BLOCK_BITS))):
        g = (m << BLOCK_BITS) + r
        if buf[r] > best or (buf[r] == best and g < arg_g):
            best = buf[r]
            arg_g = g
    return best, arg_g


@njit(cache=True)
def redraw_and_rescore(land, row, key):
    """The market moves: redraw bit ``row``'s contributions (:func:`redraw_row`) of ``land`` (a
    run's state with its own table, and its own bounds and log of moves when there is a memo) and
    return the new (maximum score, a solution reaching it).

    With a memo only the moved contribution changes, by delta[idx] (idx: its packed index), so
    every score is shifted by it. The shift is logged, not applied: a score read adds the moves'
    shifts to the memo's (:func:`current_score`; the shifted scores can differ from a fresh sum
    in the last bit, and every rule reads them, so the run stays consistent). For the maximum,
    each block keeps an upper bound of its scores, raised at each move by the largest delta its
    solutions can get (the moved contribution's bits from 3 up are fixed in a block; rounding is
    monotone, so the raised bound still bounds the rounded shifted scores); only the blocks whose
    bound reaches the best score found so far (starting from the old optimum's block) are scored
    and scanned, and their bounds become exact. The result is the exact maximum of all shifted
    scores, and the first maximum in enumeration order wins, as in :func:`global_max_score`.

    Raising every block's bound at every move cost more than the rest of the move (7.5 cycles a
    block), so the blocks are grouped 64 to a superblock whose bound is raised by the largest
    raise of its blocks and still bounds them: a superblock below the best so far is passed over
    and its blocks' raises wait (``fresh``); one that reaches it first applies them
    (:func:`_catch_up`, the same additions in the same order), so every block read has the bound
    raising it at every move would give and the same blocks are scored in the same order.
    Without a memo the maximum is searched again.
    """
    dep, table = land.dep, land.table
    n, kp1 = dep.shape
    if land.memo.shape[0] != 1 << n:
        redraw_row(table, row, key)
        return global_max_score(dep, table, land.memo, land.bound)
    old = table[row].copy()
    redraw_row(table, row, key)
    e = land.moves
    land.move_row[e] = row
    land.move_delta[e] = (table[row] - old) / n
    for r in range(1 << BLOCK_BITS):
        land.move_low[e, r] = packed_index(r ^ (r >> 1), dep, row)
    for r in range(1 << SUPER_BITS):  # block r of a superblock adds this to its first's index
        g = r << BLOCK_BITS
        land.move_sub[e, r] = packed_index(g ^ (g >> 1), dep, row)
    land.moves = e + 1
    delta, rise, sub = land.move_delta[e], land.move_rise[e], land.move_sub[e]
    # rise[x]: the largest delta in a block where the moved contribution's index reads x
    free = 0  # positions in its index of bits below BLOCK_BITS (they vary within a block)
    for b in range(kp1):
        if dep[row, b] < BLOCK_BITS:
            free |= 1 << b
    for x in range(delta.shape[0]):
        top = -np.inf
        sub_x = free
        while True:  # every setting of the free positions
            top = max(top, delta[(x & ~free) | sub_x])
            if sub_x == 0:
                break
            sub_x = (sub_x - 1) & free
        rise[x] = top
    # super_rise[x]: the largest rise in a superblock whose first block's index reads x
    super_rise = np.empty(delta.shape[0])
    for x in range(delta.shape[0]):
        top = -np.inf
        for r in range(1 << SUPER_BITS):
            top = max(top, rise[x ^ sub[r]])
        super_rise[x] = top
    buf = np.empty(1 << BLOCK_BITS)
    count = land.bound.shape[0]  # blocks
    m_opt = gray_rank(land.optimum) >> BLOCK_BITS  # the old optimum's block: a first best
    j_opt = m_opt >> SUPER_BITS
    _catch_up(land, j_opt, e)  # its bounds as of the last move: m_opt's is made exact now
    best, arg_g = _best_of_block(land, m_opt, -np.inf, 0, buf)
    exact = land.bound[m_opt]  # the raise it gets with its superblock is undone below
    for j in range(land.sbound.shape[0]):
        g = j << (SUPER_BITS + BLOCK_BITS)
        top = land.sbound[j] + super_rise[packed_index(g ^ (g >> 1), dep, row)]
        land.sbound[j] = top
        if top < best and j != j_opt:
            continue  # no block of it can reach the best so far: its raises wait
        _catch_up(land, j, e + 1)
        top = -np.inf
        for m in range(j << SUPER_BITS, min((j + 1) << SUPER_BITS, count)):
            if land.bound[m] >= best and m != m_opt:
                best, arg_g = _best_of_block(land, m, best, arg_g, buf)
            if m == m_opt:
                land.bound[m] = exact
            top = max(top, land.bound[m])
        land.sbound[j] = top
    return best, arg_g ^ (arg_g >> 1)


@njit(cache=True)
def _catch_up(land, j, moves):
    """Apply to the block bounds of superblock ``j`` the raises of the moves after those it has
    (``land.fresh[j]``) up to ``moves``: each block's bound gets the same additions, in the same
    order, as raising every block at every move."""
    done = land.fresh[j]
    if done >= moves:
        return
    dep, bound = land.dep, land.bound
    first = j << SUPER_BITS
    last = min(first + (1 << SUPER_BITS), bound.shape[0])
    g = first << BLOCK_BITS
    sol0 = g ^ (g >> 1)
    for e in range(done, moves):
        x0 = packed_index(sol0, dep, land.move_row[e])
        rise, sub = land.move_rise[e], land.move_sub[e]
        for m in range(first, last):
            bound[m] += rise[x0 ^ sub[m - first]]
    land.fresh[j] = moves
