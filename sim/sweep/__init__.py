"""Sweeps: an experiment file (``experiments/*.toml``) expanded into runs, executed in-process, on
local processes or on a Dask cluster, and stored as Parquet that survives interruption.

The parts: :mod:`~sim.sweep.experiment` the file's schema and its design kinds;
:mod:`~sim.sweep.plan` the expansion into runs (:func:`expand`); :mod:`~sim.sweep.executors`
where runs execute; :mod:`~sim.sweep.results` and :mod:`~sim.sweep.manifest` the results folder;
:mod:`~sim.sweep.console` what is printed. :func:`run_experiment` here puts them together: it
executes the runs still missing from the results folder in batches, writing each batch as one
chunk file (temporary name, then rename), and finally assembles ``runs.parquet`` (sorted by point
and replicate), ``timeseries.parquet`` (when asked) and ``manifest.json``.

Results do not depend on the executor, the worker count, the batch size or on interruptions: every
run is a pure function of its config and seed, and the final tables are sorted.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sim.config import ROOT
from sim.errors import STORAGE_ERRNOS, ConfigError, ResultsError
from sim.sweep import results
from sim.sweep.executors import (
    ENV_CHUNK,
    Executor,
    InProcess,
    Item,
    LocalDask,
    LocalProcesses,
    RemoteDask,
    batches,
    execute_batch,
    make_executor,
    warm,
)
from sim.sweep.experiment import (
    DESIGNS,
    EXPERIMENT_DIR,
    CiSize,
    Experiment,
    load_experiment,
    resolve_experiment,
)
from sim.sweep.plan import Plan, RunSpec, expand, field_path, run_id, run_seeds

if TYPE_CHECKING:
    import argparse

__all__ = ["DESIGNS", "ENV_CHUNK", "EXPERIMENT_DIR", "RESULTS_DIR", "CiSize", "Executor",
           "Experiment", "InProcess", "Item", "LocalDask", "LocalProcesses", "Plan", "RemoteDask",
           "RunSpec", "ci_digest", "command", "default_out", "execute_batch", "expand", "field_path",
           "load_experiment", "make_executor", "resolve_experiment", "run_experiment", "run_id",
           "run_seeds", "warm"]

RESULTS_DIR = ROOT / "results"


def default_out(plan: Plan) -> Path:
    """``results/<experiment>``, or ``results/<experiment>-ci`` for the [ci] size."""
    if plan.name in ("", ".", ".."):  # a file named "...toml": results/.. is not a results folder
        raise ConfigError(f"{plan.path}: its name {plan.name!r} cannot name a results folder; "
                          "give one with --out")
    return RESULTS_DIR / (plan.name + ("-ci" if plan.ci else ""))


def _largest_run_bytes(plan: Plan) -> float:
    """The estimated peak memory of the plan's largest run (bytes)."""
    from sim.resources import estimate_run_bytes

    return max(estimate_run_bytes(c, plan.steps)["total"] for c in plan.configs)


def _check_memory(plan: Plan, largest: float, executor: Executor, max_memory: float | None) -> None:
    """Refuse a sweep whose plan, final tables and runs in flight on this machine would not fit
    (runs on a remote scheduler's workers count against those machines, not this one)."""
    from sim.resources import RUNTIME_BYTES, check_memory, estimate_sweep_bytes
    from sim.sweep.worlds import cache_bytes

    remote = isinstance(executor, RemoteDask)
    local = executor.local_workers
    # each process's world cache keeps up to a world per seed (a run's own is in ``largest``)
    cached = min(cache_bytes(), len(set(plan.seeds)) * max(largest - RUNTIME_BYTES, 0.0))
    need = estimate_sweep_bytes(len(plan.configs), len(plan.runs), plan.steps, plan.timeseries,
                                RUNTIME_BYTES if remote else largest + cached, local)
    where = f" on {local} local workers" if local else ""
    check_memory(need["total"], max_memory, f"sweep {plan.name}{where}", need,
                 "use fewer or smaller runs, fewer --workers, or leave out timeseries")


def run_experiment(path_or_spec: str | Path | Plan, *, workers: int | None = None,
                   scheduler: str | None = None, out: str | Path | None = None, fresh: bool = False,
                   ci: bool = False, progress: bool = True, max_memory: float | None = None,
                   executor: Executor | None = None) -> Path:
    """Run an experiment (a name in ``experiments/``, a TOML path, or a :class:`Plan`); return the
    results folder (default ``results/<experiment>`` or ``results/<experiment>-ci`` with ``ci``).

    workers: local worker processes (forked from this one); default in-process.
    scheduler: address of a Dask scheduler (``tcp://host:8786``) whose workers have pactsim.
    executor: an :class:`Executor` to use instead of the one ``workers`` and ``scheduler`` ask for.
    fresh: discard earlier results in the folder; otherwise finished runs are skipped (resume).
    Runs that fail are recorded in runs.parquet's ``error`` column (see ``manifest.json``'s
    ``runs_failed``).
    max_memory: bytes this machine may use (default 90% of what is available); a sweep that
    would need more is refused before it starts.
    """
    if executor is None:
        executor = make_executor(workers, scheduler)
    plan = (path_or_spec if isinstance(path_or_spec, Plan)
            else expand(path_or_spec, ci=ci, max_memory=max_memory))
    largest = _largest_run_bytes(plan)
    _check_memory(plan, largest, executor, max_memory)
    out = Path(out) if out is not None else default_out(plan)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: is not a folder")
    if not fresh:
        results.check_folder(out, plan)  # refuse before connecting anywhere
    from sim.sweep.lock import FolderLock

    try:
        # one sweep per folder; a remote scheduler is connected now (a bad address writes
        # nothing); local worker processes start only when there are runs to do
        with _terminate_as_interrupt(), executor, FolderLock(out) as lock:
            executor.check_memory(plan, largest)
            return _sweep(plan, out, fresh, executor, progress, lock.stale_note())
    except OSError as e:
        if e.errno not in STORAGE_ERRNOS:
            raise
        raise ResultsError(results.write_failed(out, e)) from None


@contextlib.contextmanager
def _terminate_as_interrupt():
    """SIGTERM (a batch scheduler's time limit, ``kill``) stops a sweep as Ctrl-C does: complete
    chunks saved, the folder released, how to resume printed. Main thread only (Python's rule)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _todo(plan: Plan, done: set[str]) -> list[Item]:
    """The runs still to do; identical configs share a run id: each is run once. In the order
    that lets runs share worlds (:mod:`sim.sweep.worlds`): by seed, then by what else the world
    depends on, then in run order (the order changes no result: the tables are sorted)."""
    from sim.sweep.worlds import world_inputs

    inputs: dict[str, int] = {}
    world_of = {id(c): inputs.setdefault(world_inputs(c), len(inputs)) for c in plan.configs}
    seen: set[str] = set()
    todo: list[tuple[tuple[int, int, int], Item]] = []
    for r in plan.runs:
        if r.run_id in done or r.run_id in seen:
            continue
        seen.add(r.run_id)
        cfg = plan.config_of(r)
        todo.append(((r.seed, world_of[id(cfg)], r.index), (r.index, r.run_id, cfg, r.seed)))
    todo.sort(key=lambda pair: pair[0])
    return [item for _, item in todo]


def _first_world(item: Item) -> None:
    """Build the first run's world into this process's cache (forked workers start with it): the
    timed first run then costs what most runs cost, a run on a cached world."""
    from sim.sweep.worlds import cache

    try:
        cache().get(item[2], item[3])
    except Exception:  # noqa: BLE001 - the run fails again, and is recorded as failed
        pass


def _sweep(plan: Plan, out: Path, fresh: bool, executor: Executor, progress: bool,
           note: str | None = None) -> Path:
    from rich.console import Console

    from sim.provenance import git_state, now_iso
    from sim.sweep import console as say

    console = Console(quiet=not progress)
    if note:
        console.print(f"[yellow]note[/]: {note}")
    if fresh:
        results.clear(out)
    old, rebuilt = results.check_folder(out, plan)
    if rebuilt:
        console.print(f"[yellow]note[/]: {rebuilt}")
    started = now_iso()
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    manifest = results.new_manifest(plan, started, old)
    results.write_manifest(out, manifest)

    done, dropped = results.done_ids(out, plan)
    for line in dropped[:5]:
        console.print(f"[yellow]note[/]: dropped {line}; its runs are redone")
    if len(dropped) > 5:
        console.print(f"[yellow]note[/]: dropped {len(dropped) - 5} more chunks; their runs are redone")
    todo = _todo(plan, done)
    skipped = len({r.run_id for r in plan.runs} & done)
    sink = results.Sink(out, say.progress(console, len(todo), plan.name, progress), plan)
    try:
        if todo:
            warm()
            _first_world(todo[0])
            # the first run, timed here, sizes the batches (and is kept: a chunk of one)
            t = time.process_time()  # CPU time: the machine's load does not shrink the batches
            first = execute_batch(todo[:1], plan.outcomes, plan.timeseries)
            per_run = time.process_time() - t
            executor.run_cpu = per_run  # bounds the time a stalled worker goes unnoticed
            executor.start()  # forked workers: before the progress bar's thread starts
        with sink.progress:
            if todo:
                sink.batch(todo[:1], first)
                executor.run(batches(todo[1:], per_run, executor.workers), plan, sink)
    except KeyboardInterrupt:
        # an interrupt can land inside a chunk's write before its temporary file is known to it
        # (between the file's creation and the writer's cleanup handler): remove what is left
        results.clear_partial(out)
        console.print(f"[yellow]interrupted[/]: {sink.done + sink.failed} runs saved in {out}; "
                      "run the same command again to resume")
        raise
    df = results.assemble(out, plan, sink.lost)
    failed = int(df["error"].notna().sum())
    wall = time.perf_counter() - t0
    ended = now_iso()
    session = {"started": started, "ended": ended, "executor": executor.label,
               "runs_executed": sink.done + sink.failed, "runs_lost": len(sink.lost),
               "wall_time_s": round(wall, 3), "git": git_state()}
    manifest = manifest.model_validate({
        **manifest.model_dump(), "ended": ended,
        "status": "complete" if not sink.lost else "incomplete", "runs_done": len(df) - failed,
        "runs_failed": failed, "wall_time_s": round(wall, 3),
        "sessions": [*manifest.model_dump()["sessions"], session]}, strict=False)
    results.write_manifest(out, manifest)
    say.summary(console, plan, out, df, executed=sink.done + sink.failed, skipped=skipped,
                lost=len(sink.lost), wall=wall, executor=executor.label)
    return out


def ci_digest(experiment: str | Path, workdir: str | Path) -> str:
    """Run an experiment at its [ci] size into ``workdir`` (in-process, quietly); return the digest
    of its runs.parquet content (:func:`sim.storage.frame_digest`)."""
    import pandas as pd

    from sim.storage import frame_digest

    out = run_experiment(experiment, ci=True, out=Path(workdir), fresh=True, progress=False)
    return frame_digest(pd.read_parquet(out / "runs.parquet"))


def command(args: argparse.Namespace) -> int:
    """``pactsim sweep``: 0 when every run succeeded, 1 when some failed."""
    from sim.resources import parse_size
    from sim.sweep import study
    from sim.sweep.experiment import resolve_experiment

    opts = dict(workers=args.workers, scheduler=args.scheduler, out=args.out, fresh=args.fresh,
                ci=args.ci, max_memory=parse_size(args.max_memory) if args.max_memory else None)
    path = resolve_experiment(args.experiment)
    if study.is_study(path):
        out = study.run_study(path, **opts)
        folders = [out / q for q in study.read(out)["questions"]]
    else:
        folders = [run_experiment(path, **opts)]
    manifests = [results.mf.read(f) for f in folders]
    return 1 if any(m is not None and m.runs_failed for m in manifests) else 0
