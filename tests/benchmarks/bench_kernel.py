"""Kernel throughput against its floor: employee-steps per second of the bare step, the kernel and
the whole ``sim.simulate`` for the baseline scenario (customers scale 2:1) at 1,000, 10,000 and
100,000 employees, their ratios, the kernel's cost per employee-step at the smallest size with
and without turbulence, plus the first-call time with a warm and a cold Numba cache.

The bare step is the floor a step of any agent-based model on this graph pays: per agent one scan
of its neighbours and one counter-based draw (``sim.rng``), written synchronously, on a
small-world graph of mean degree 10 (a ring lattice with 10% of ties rewired). The kernel is timed
on a world built beforehand; ``sim.simulate`` includes building the world and the results.
Every figure is thread CPU time, the best of ``--repeat`` rounds (three at most at 100,000 and
more: with one round there the flat-cost ratio swung from 1.1 to 1.7 between runs); a
round runs the bare step, the kernel and ``sim.simulate`` in turn, so that each ratio compares
runs made moments apart (this machine's speed drifts from minute to minute). The kernel is
timed as a sweep runs it: right after a run of another design point (culture 0.6) on the same
world, since a sweep runs each world's runs one after another. It is also timed right after
``sim.simulate`` built another world (8 MiB of new scores that push the world's out of the
cache), and that rate is printed too. The flat cost (the kernel's cost per employee-step at the
largest size over the smallest) comes from rounds of its own, ``--repeat`` of them, each running
both sizes in turn (:func:`flat_cost`), and the rounds' own ratios are printed beside it. The
same rounds time the bare step at both sizes, whose own cost per agent-step grows too, and the
kernel's flat cost over the floor's is printed. Under the table, each size's rounds' own
kernel/bare and simulate/bare: the best times in the table can come from different rounds.

Run: .venv/bin/python tests/benchmarks/bench_kernel.py [--sizes 1000 10000 100000] [--steps 156]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

FIRST_CALL = """
import time
t = time.perf_counter()
import sim
sim.simulate('baseline', seed=0, steps=5)
print(time.perf_counter() - t)
"""


def _bare_graph(n: int, degree: int = 10, p_rewire: float = 0.1):
    import numpy as np

    rng = np.random.default_rng(1)
    a = np.repeat(np.arange(n), degree // 2)
    b = (a + np.tile(np.arange(1, degree // 2 + 1), n)) % n
    rew = rng.random(a.size) < p_rewire
    b[rew] = rng.integers(0, n, int(rew.sum()))
    src, dst = np.concatenate([a, b]), np.concatenate([b, a])
    order = np.lexsort((dst, src))
    indptr = np.zeros(n + 1, np.int64)
    np.add.at(indptr, src[order] + 1, 1)
    return np.cumsum(indptr), dst[order].astype(np.int64)


def _bare_steps():
    from numba import njit

    from sim.rng import step_key, uniform

    @njit
    def run(indptr, nbr, state, nxt, steps):
        for t in range(steps):
            key = step_key(1, 10, t)
            for i in range(state.shape[0]):
                active = 0
                for e in range(indptr[i], indptr[i + 1]):
                    active += state[nbr[e]]
                u = uniform(key, i, 0)
                nxt[i] = 1 if (state[i] == 1 or u < 0.01 + 0.05 * active) and u > 0.001 else 0
            state[:] = nxt
        return state.sum()

    return run


def _thread_seconds(f) -> float:
    t = time.thread_time()
    f()
    return time.thread_time() - t


def bare_run(n: int, steps: int):
    """A function running the bare step at ``n`` agents for ``steps`` steps (module docstring)."""
    import numpy as np

    indptr, nbr = _bare_graph(n)
    run = _bare_steps()
    state, nxt = np.zeros(n, np.int64), np.zeros(n, np.int64)
    run(indptr, nbr, state, nxt, 2)  # compile outside the timing

    def once():
        state[:] = 0
        run(indptr, nbr, state, nxt, steps)

    return once


def kernel_rate(world, inputs, n: int, steps: int, repeat: int) -> float:
    """Employee-steps per second of the kernel on a built world: the best of ``repeat`` runs."""
    from sim.engine import run_arrays

    run_arrays(world, inputs, 1, 2)  # compile / load outside the timing
    best = min(_thread_seconds(lambda: run_arrays(world, inputs, 1, steps)) for _ in range(repeat))
    return n * steps / best


def _baseline(n: int, steps: int):
    """The baseline at ``n`` employees (customers 2:1) and the inputs of a sweep's previous run
    on the same world: the next design point, culture 0.6 (sim.sweep runs each world's runs one
    after another)."""
    import sim
    from sim.params import build_inputs

    size = [f"population.n_employees={n}", f"population.n_customers={2 * n}"]
    other = sim.load_scenario("baseline", [*size, "levers.culture=0.6"])
    return sim.load_scenario("baseline", size), build_inputs(other, steps)


def baseline_rates(n: int, steps: int, repeat: int) -> dict:
    """Employee-steps per second of the bare step, the kernel (right after a run of the next
    design point on the same world, as in a sweep) and ``sim.simulate``, the best of ``repeat``
    interleaved rounds; the kernel's rate right after ``sim.simulate`` built another world
    (``kernel_after_other``); the seconds to build the world, for the baseline at ``n``; and
    each round's own kernel/bare and simulate/bare (``rounds``: the host's speed drifts between
    rounds, so the best times of the table can come from different rounds)."""
    import sim
    from sim.engine import run_arrays
    from sim.params import build_inputs
    from sim.world import build_world

    cfg, neighbour = _baseline(n, steps)
    build_world(cfg, 2)  # compile / load outside the timing
    build = _thread_seconds(lambda: build_world(cfg, 1))
    world, inputs = build_world(cfg, 1), build_inputs(cfg, steps)
    run_arrays(world, inputs, 1, 2)
    sim.simulate(cfg, seed=1, steps=2)
    bare, kernel = bare_run(n, steps), (lambda: run_arrays(world, inputs, 1, steps))
    best = dict.fromkeys(("bare", "kernel", "kernel_after_other", "simulate"), float("inf"))

    def keep(name, seconds):
        best[name] = min(best[name], seconds)

    rounds = {"kernel": [], "simulate": []}
    for _ in range(repeat):
        floor = min(_thread_seconds(bare), _thread_seconds(bare))
        keep("bare", floor)
        keep("kernel_after_other", _thread_seconds(kernel))  # after simulate built its world
        run_arrays(world, neighbour, 1, steps)
        own = _thread_seconds(kernel)
        keep("kernel", own)
        rounds["kernel"].append(own / floor)
        whole = min(_thread_seconds(lambda: sim.simulate(cfg, seed=1, steps=steps)) for _ in range(2))
        keep("simulate", whole)
        rounds["simulate"].append(whole / floor)
    return ({name: n * steps / seconds for name, seconds in best.items()}
            | {"build": build, "rounds": rounds})


def flat_cost(sizes: tuple[int, int], steps: int, repeat: int) -> dict[str, tuple[float, list[float]]]:
    """The cost per employee-step at ``sizes[1]`` over the cost at ``sizes[0]``, of the kernel and
    of the bare step (its floor, whose cost per agent-step grows too): for each, the
    ratio of the best of ``repeat`` rounds at each size, and each round's own ratio. A round runs
    both sizes in turn, the bare step then the kernel, the kernel timed as in
    :func:`baseline_rates` (right after a run of the next design point on the same world), so the
    two sizes get the same number of tries, moments apart: the table's rounds are fewer at
    100,000, and a minimum over fewer tries is higher."""
    from sim.engine import run_arrays
    from sim.params import build_inputs
    from sim.world import build_world

    runs = []
    for n in sizes:
        cfg, neighbour = _baseline(n, steps)
        runs.append((n, build_world(cfg, 1), build_inputs(cfg, steps), neighbour, bare_run(n, steps)))
    rounds = {"kernel": [], "bare": []}
    for _ in range(repeat):
        cost = {"kernel": [], "bare": []}
        for n, world, inputs, neighbour, bare in runs:
            cost["bare"].append(_thread_seconds(bare) / n)
            run_arrays(world, neighbour, 1, steps)
            cost["kernel"].append(
                _thread_seconds(lambda w=world, x=inputs: run_arrays(w, x, 1, steps)) / n)
        for name, pair in cost.items():
            rounds[name].append(pair)
    out = {}
    for name, rs in rounds.items():
        best = [min(r[k] for r in rs) for k in range(2)]
        out[name] = (best[1] / best[0], [r[1] / r[0] for r in rs])
    return out


def turbulence_free_rate(n: int, steps: int, repeat: int) -> float:
    """Employee-steps per second of the kernel on the baseline at ``n`` with a market that never
    moves: what turbulence costs is the difference."""
    import sim
    from sim.params import build_inputs
    from sim.world import build_world

    cfg = sim.load_scenario("baseline", [f"population.n_employees={n}",
                                         f"population.n_customers={2 * n}",
                                         "landscape.p_turbulence=0"])
    return kernel_rate(build_world(cfg, 1), build_inputs(cfg, steps), n, steps, repeat)


def first_call(cache_dir: str | None) -> float:
    env = dict(os.environ)
    if cache_dir:
        env["NUMBA_CACHE_DIR"] = cache_dir
    out = subprocess.run([sys.executable, "-c", FIRST_CALL], capture_output=True, text=True,
                         env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    ap.add_argument("--steps", type=int, default=156)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    print(f"{'employees':>10} {'bare step/s':>13} {'kernel/s':>11} {'simulate/s':>11} "
          f"{'kernel/bare':>12} {'simulate/bare':>14} {'world build s':>14} "
          f"{'kernel/bare after another world':>32}")
    first = None
    per_size = []
    for n in args.sizes:
        r = baseline_rates(n, args.steps, args.repeat if n <= 10_000 else min(args.repeat, 3))
        first = first or (n, r)
        print(f"{n:>10,} {r['bare']:>13,.0f} {r['kernel']:>11,.0f} {r['simulate']:>11,.0f} "
              f"{r['bare'] / r['kernel']:>11.1f}x {r['bare'] / r['simulate']:>13.1f}x "
              f"{r['build']:>14.3f} {r['bare'] / r['kernel_after_other']:>31.1f}x")
        per_size.append((n, r["rounds"]))
    for n, own in per_size:
        print(f"the rounds' own ratios at {n:,}: "
              + "; ".join(f"{name}/bare {min(v):.1f}-{max(v):.1f}, median {_median(v):.1f}"
                          for name, v in own.items()))
    if len(args.sizes) > 1:
        ends = (args.sizes[0], args.sizes[-1])
        flat = flat_cost(ends, args.steps, args.repeat)
        for name, label in (("kernel", "kernel"), ("bare", "bare step (the floor)")):
            ratio, rounds = flat[name]
            print(f"{label} cost per employee-step at {ends[1]:,} / at {ends[0]:,}: {ratio:.2f}x "
                  f"(best of {args.repeat} interleaved rounds each; the rounds' own ratios "
                  f"{min(rounds):.2f}-{max(rounds):.2f}, median {_median(rounds):.2f})")
        own = [k / b for k, b in zip(flat["kernel"][1], flat["bare"][1], strict=True)]
        print(f"the kernel's flat cost over the floor's: {flat['kernel'][0] / flat['bare'][0]:.2f}x "
              f"(the rounds' own {min(own):.2f}-{max(own):.2f}, median {_median(own):.2f})")
    if first:
        n0, r0 = first
        calm = turbulence_free_rate(n0, args.steps, args.repeat)
        print(f"turbulence at {n0:,}: {1e9 / r0['kernel']:.0f} ns per employee-step, "
              f"{1e9 / calm:.0f} without (landscape.p_turbulence = 0)")
    with tempfile.TemporaryDirectory() as cold:
        print(f"first call, cold Numba cache: {first_call(cold):.2f} s")
    print(f"first call, warm Numba cache: {first_call(None):.2f} s")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sim", "run", "baseline", "--out",
                    tempfile.mkdtemp(prefix="pactsim-bench-")], check=True, capture_output=True)
    print(f"`pactsim run baseline` wall (warm cache): {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
