"""Where a sweep's runs execute, behind one interface (:class:`Executor`): in this process
(:class:`InProcess`), on local worker processes forked from this one (:class:`LocalProcesses`,
``--workers N``), on a Dask ``LocalCluster`` (:class:`LocalDask`) or on the workers of a remote
Dask scheduler (:class:`RemoteDask`, ``--scheduler``). Results do not depend on the executor:
every run is a pure function of its config and seed.

``--workers N`` forks its workers from the sweep's process once the Numba kernels are loaded
(:func:`warm`): a worker is ready in milliseconds, with the compiled code and the world cache of
its parent, where a Dask ``LocalCluster`` takes 4-6 s to start and each of its workers loads
pactsim and the kernels again (about 2 s of CPU each).

An executor runs batches through its :attr:`Executor.task` (by default :func:`execute_batch`); a
test gives a subclass another task (one that kills its worker, say) to inject faults.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from sim.columns import stored_outcome_dtype
from sim.config import Scenario
from sim.errors import ConfigError, interrupted
from sim.metrics import SERIES_NAMES

if TYPE_CHECKING:
    import pandas as pd

    from sim.sweep.plan import Plan
    from sim.sweep.results import Sink

ENV_START = "PACTSIM_START_METHOD"
"""How ``--workers`` starts its processes: ``fork`` (the default where there is one), ``forkserver``
or ``spawn`` (these two load pactsim and the kernels in each worker: about 2 s of CPU)."""
ENV_CHUNK = "PACTSIM_SWEEP_CHUNK"
"""Runs per task and chunk file (default: sized from a timed run so a task takes about 0.5 s)."""

# target work per task: Dask costs about 3 ms per task and each task writes a chunk file (about
# 15 ms, fsync included, and one file more to read at the end), so a second keeps the overhead
# near 1% while a lost worker or Ctrl-C loses little
_TASK_SECONDS = 1.0
_MIN_TASK_SECONDS = 0.2  # the smallest batch at the end: a chunk file costs about 10 ms of CPU
_DEATHS = 3
"""Times a worker process may die running one run alone before the run is recorded as lost."""
_CONNECT_SECONDS = 10.0
_STALL_SECONDS = 30.0
"""A local worker whose CPU time has not grown for this long (or for its batch's expected CPU time,
if longer) is stalled (stopped, deadlocked): it is killed and its runs are redone as a dead
worker's. A running worker gains CPU time every few milliseconds even on a loaded machine."""

Item = tuple[int, str, Scenario, int]  # (run index, run id, config, seed)


# --- running a batch --------------------------------------------------------------------------

def outcome_frame(records: list[dict], outcomes: tuple[str, ...]) -> pd.DataFrame:
    """Outcome records as a table: run_id, the outcomes (stored types, ``sim.columns``), error."""
    import pandas as pd

    def column(name: str, dtype: str) -> pd.Series:  # None: a failed run's missing value
        return pd.Series([r.get(name) for r in records], dtype=dtype)

    return pd.DataFrame({"run_id": column("run_id", "str"),
                         **{name: column(name, stored_outcome_dtype(name)) for name in outcomes},
                         "error": column("error", "str")})


def execute_batch(items: list[Item], outcomes: tuple[str, ...], timeseries: bool,
                  on_run: Callable[[], None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Run ``items``; return ``(outcomes table, time series table or None)``.

    Worlds come from this process's cache (:mod:`sim.sweep.worlds`). A run that raises is
    recorded with its error and null outcomes; the batch goes on.
    """
    import pandas as pd

    from sim import engine
    from sim.sweep.worlds import cache

    worlds = cache()
    records, series = [], []
    for _, rid, cfg, seed in items:
        try:
            result = engine.simulate(cfg, seed=seed, world=worlds.get(cfg, seed))
        except Exception as e:  # noqa: BLE001 - any failure of one run is data, not a crash
            if interrupted(e):  # Ctrl-C met inside compiled code: a stop, not the run's failure
                raise KeyboardInterrupt from None
            records.append({"run_id": rid, "error": f"{type(e).__name__}: {e}"})
        else:
            records.append({"run_id": rid, **{n: result.outcomes[n] for n in outcomes},
                            "error": None})
            if timeseries:
                ts = result.timeseries
                ts.insert(0, "run_id", rid)
                series.append(ts)
        if on_run is not None:
            on_run()
    ts_frame = None
    if timeseries:
        ts_frame = pd.concat(series, ignore_index=True) if series else \
            pd.DataFrame(columns=["run_id", "step", *SERIES_NAMES])
        ts_frame["run_id"] = ts_frame["run_id"].astype("str")
    return outcome_frame(records, outcomes), ts_frame


def _tiny() -> Scenario:
    return Scenario.model_validate({"population": {"n_employees": 20, "n_units": 2, "n_customers": 20},
                                    "landscape": {"nk_n": 6, "nk_k": 2}})


def warm() -> float:
    """Compile or load the Numba kernels (a 2-step run of a tiny config); return seconds taken."""
    from sim import engine

    t = time.perf_counter()
    engine.simulate(_tiny(), seed=0, steps=2)
    return time.perf_counter() - t


def start_method() -> str:
    """``$PACTSIM_START_METHOD``, else ``fork`` where the platform has it, else ``spawn``."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    env = os.environ.get(ENV_START, "").strip()
    if env:
        if env not in methods:
            raise ConfigError(f"{ENV_START}={env}: this platform has {', '.join(methods)}")
        return env
    return "fork" if "fork" in methods else "spawn"


def batch_size(seconds_per_run: float, pending: int, workers: int) -> int:
    """Runs per batch: ``$PACTSIM_SWEEP_CHUNK`` when set, else about :data:`_TASK_SECONDS` of
    work; with several workers at most half of ``pending`` per worker (guided self-scheduling:
    the load stays balanced to the end), but no batch under :data:`_MIN_TASK_SECONDS`."""
    env = os.environ.get(ENV_CHUNK)
    if env:
        return max(1, int(env))
    per_run = max(seconds_per_run, 1e-4)
    size = math.ceil(_TASK_SECONDS / per_run)
    if workers > 1:
        size = max(min(size, math.ceil(pending / (2 * workers))),
                   math.ceil(_MIN_TASK_SECONDS / per_run))
    return max(1, size)


def batches(items: list[Item], seconds_per_run: float, workers: int) -> list[list[Item]]:
    """``items`` cut into batches (:func:`batch_size`). With several workers the batches shrink
    as the end nears (each sized from what is left after it), so that the workers finish together
    instead of one waiting on another's last long batch."""
    out, i = [], 0
    while i < len(items):
        size = batch_size(seconds_per_run, len(items) - i, workers)
        out.append(items[i:i + size])
        i += size
    return out


# --- the executors ----------------------------------------------------------------------------

class Executor:
    """Runs batches of a plan and hands each result to a sink. Use as a context manager: entering
    connects (remote) or prepares; leaving closes whatever was started."""

    label = "executor"
    run_cpu = _TASK_SECONDS
    """Expected CPU seconds of one run (the sweep sets it from its timed first run)."""
    task = staticmethod(execute_batch)
    """What runs one batch: ``task(items, outcomes, timeseries) -> (outcomes, series)``."""

    @property
    def workers(self) -> int:
        """Worker count, for sizing batches."""
        return 1

    @property
    def local_workers(self) -> int:
        """Worker processes this executor starts on this machine (0: none)."""
        return 0

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc) -> bool:
        return False

    def start(self) -> None:
        """Called once the kernels are loaded in this process (:func:`warm`), before any batch:
        start what runs them."""

    def check_memory(self, plan: Plan, largest: float) -> None:
        """Refuse, before anything runs, a plan whose largest run would not fit a worker."""

    def run(self, batches: list[list[Item]], plan: Plan, sink: Sink) -> None:
        raise NotImplementedError


class InProcess(Executor):
    """Runs batches one after another in this process."""

    label = "in-process"

    def run(self, batches: list[list[Item]], plan: Plan, sink: Sink) -> None:
        for items in batches:
            sink.batch(items, self.task(items, plan.outcomes, plan.timeseries,
                                        on_run=lambda: sink.progress.advance(1)), advance=False)


def _worker_main(conn, inherited: list[int], task: Callable, load: bool) -> None:
    """A worker process: receive ``(items, outcomes, timeseries)``, run ``task`` on them, send
    back ``("ok", result)`` or ``("error", exception)``; stop on ``None`` or when the sweep's end of
    the pipe closes (the sweep ended or died).

    Ctrl-C reaches every process of a terminal's group: a worker ignores SIGINT (its sweep alone
    stops, saves what is done and ends the workers; the sweep ignores SIGINT while forking, so
    there is no moment when a worker does not) and dies of SIGTERM at once (the sweep's own
    handler, inherited, would raise in it). ``inherited``: file descriptors a forked worker closes
    (the sweep's ends of the workers' pipes, its folder lock); ``load``: a worker not forked loads
    the kernels first."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        for fd in inherited:
            try:
                os.close(fd)
            except OSError:
                pass
        if load:
            warm()
        _serve(conn, task)
    except BaseException:  # noqa: BLE001 - the sweep sees a dead worker and redoes its runs
        os._exit(1)
    os._exit(0)


def _serve(conn, task: Callable) -> None:
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        items, outcomes, timeseries = message
        try:
            reply = ("ok", task(items, outcomes, timeseries))
        except Exception as e:  # noqa: BLE001 - the sweep splits the batch or records the run lost
            reply = ("error", e)
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return
        except Exception as e:  # noqa: BLE001 - unpicklable (an exception, say): say so instead
            conn.send(("error", RuntimeError(f"cannot send the reply: {type(e).__name__}: {e}")))


class _Worker:
    """One worker process and the sweep's end of its pipe."""

    def __init__(self, ctx, task: Callable, inherited: list[int]):
        ours, theirs = ctx.Pipe()
        self.conn = ours
        forked = ctx.get_start_method() == "fork"
        args = (theirs, [ours.fileno(), *inherited] if forked else [], task, not forked)
        self.proc = ctx.Process(target=_worker_main, args=args, daemon=True, name="pactsim-worker")
        with warnings.catch_warnings():
            # Python 3.12 warns of fork() in a process with threads; ours are native pools
            # (OpenBLAS, Arrow, jemalloc) that register at-fork handlers, and a worker runs
            # nothing but the kernel, NumPy and pandas
            warnings.filterwarnings("ignore", "This process .* is multi-threaded, use of fork",
                                    DeprecationWarning)
            self.proc.start()
        theirs.close()
        self.items: list[Item] | None = None  # the batch it is running
        self.cpu = 0.0  # its CPU time when last seen to grow
        self.since = 0.0  # when that was (time.monotonic)

    def send(self, items: list[Item], plan: Plan) -> None:
        self.items = items
        self.cpu, self.since = self.cpu_time(), time.monotonic()
        self.conn.send((items, plan.outcomes, plan.timeseries))

    def cpu_time(self) -> float:
        """The worker's CPU time so far (user and system; 0 once it is gone)."""
        import psutil

        try:
            t = psutil.Process(self.proc.pid).cpu_times()
        except (psutil.Error, TypeError):
            return 0.0
        return t.user + t.system

    def stalled(self, limit: float) -> float | None:
        """Seconds without CPU progress when over ``limit`` (the worker is stalled), else None."""
        cpu, now = self.cpu_time(), time.monotonic()
        if cpu > self.cpu:
            self.cpu, self.since = cpu, now
            return None
        return now - self.since if now - self.since > limit else None

    def stop(self, kill: bool) -> None:
        if self.proc.is_alive():
            if kill:
                self.proc.kill()
            else:
                try:
                    self.conn.send(None)
                except OSError:
                    pass
            self.proc.join(timeout=None if kill else 5)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join()
        self.conn.close()


class _LocalWorkers:
    """An executor that starts ``n_workers`` worker processes on this machine."""

    n_workers = 1

    @property
    def workers(self) -> int:
        return self.n_workers

    @property
    def local_workers(self) -> int:
        return self.n_workers


class LocalProcesses(_LocalWorkers, Executor):
    """``workers`` processes forked from this one (they start in milliseconds, with the compiled
    kernels and the world cache already in memory; ``$PACTSIM_START_METHOD`` may choose
    ``forkserver`` or ``spawn`` instead, and must where there is no fork, for tasks that pickle),
    one batch at a time each. A worker
    that dies (killed, out of memory) is replaced: its batch is split into single runs, which are
    redone; a single run whose worker dies :data:`_DEATHS` times is recorded as lost (retried on
    resume). A batch whose task raises is split likewise; a single run that raises is lost."""

    def __init__(self, workers: int):
        self.n_workers = workers
        self.method = start_method()  # refused here, before the sweep touches its folder
        self.label = f"{workers} local worker process{'es' if workers > 1 else ''}"
        self._workers: list[_Worker] = []
        self.deaths = 0  # worker processes that died, for tests and the curious
        self.stalls: list[float] = []  # seconds each stalled worker was seen without progress

    def _spawn(self) -> _Worker:
        import multiprocessing

        from sim.sweep.lock import held_fds

        inherited = [w.conn.fileno() for w in self._workers] + held_fds()
        # the worker ignores SIGINT from its first instruction on (see _worker_main)
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            return _Worker(multiprocessing.get_context(self.method), self.task, inherited)
        finally:
            if main:
                signal.signal(signal.SIGINT, previous)

    def start(self) -> None:
        while len(self._workers) < self.n_workers:
            self._workers.append(self._spawn())

    def __exit__(self, exc_type, *exc) -> bool:
        # on an error or Ctrl-C the runs in flight are abandoned: the workers are killed
        for w in self._workers:
            w.stop(kill=exc_type is not None)
        self._workers = []
        return False

    def run(self, batches: list[list[Item]], plan: Plan, sink: Sink) -> None:
        from multiprocessing.connection import wait

        self.start()
        queue = deque(batches)
        deaths: dict[int, int] = {}  # run index -> times its worker died running it alone
        busy: dict[int, _Worker] = {}  # id -> worker running a batch

        def assign(w: _Worker) -> None:
            if not queue:
                return
            items = queue.popleft()
            try:
                w.send(items, plan)
            except (OSError, ValueError):  # it died while idle: its replacement takes the batch
                queue.appendleft(items)
                self.deaths += 1
                self._replace(w)
                assign(self._workers[-1])
            else:
                busy[id(w)] = w

        for w in self._workers:
            assign(w)
        while busy:
            handles = {}
            for w in busy.values():
                handles[w.conn] = w
                handles[w.proc.sentinel] = w
            ready = {id(handles[h]): handles[h]
                     for h in wait(list(handles), timeout=min(5.0, _STALL_SECONDS / 4))}
            for w in busy.values():
                if id(w) not in ready:
                    self._check_stall(w, sink)
            for w in ready.values():
                items = w.items
                del busy[id(w)]
                w.items = None
                try:  # a result sent just before the worker died still counts
                    status, payload = w.conn.recv() if w.conn.poll() else (None, None)
                except (EOFError, OSError):
                    status, payload = None, None
                if status is None:  # the worker died
                    self.deaths += 1
                    code = self._replace(w)
                    replacement = self._workers[-1]
                    if len(items) > 1:
                        queue.extendleft(reversed([[item] for item in items]))
                    else:
                        key = items[0][0]
                        deaths[key] = deaths.get(key, 0) + 1
                        if deaths[key] < _DEATHS:
                            queue.appendleft(items)
                        else:
                            sink.lose(items, f"lost: its worker process died {deaths[key]} times "
                                             f"(exit code {code})")
                    assign(replacement)
                    continue
                assign(w)  # the next batch first: the worker runs while the sink writes
                if status == "ok":
                    sink.batch(items, payload)
                elif len(items) > 1:
                    queue.extend([item] for item in items)
                    for idle in self._workers:
                        if id(idle) not in busy:
                            assign(idle)
                else:
                    sink.lose(items, f"lost: {type(payload).__name__}: {payload}")

    def _check_stall(self, w: _Worker, sink: Sink) -> None:
        """Kill a busy worker that made no CPU progress for :data:`_STALL_SECONDS` (or its batch's
        expected CPU time, if longer); the next wait sees it dead, and its runs are redone."""
        limit = max(_STALL_SECONDS, len(w.items or ()) * self.run_cpu)
        idle = w.stalled(limit)
        if idle is None:
            return
        self.stalls.append(idle)
        sink.note(f"worker process {w.proc.pid} made no progress for {idle:.0f} s (stopped or "
                  f"hung); it is killed and its {len(w.items or ())} run(s) are redone")
        w.proc.kill()

    def _replace(self, dead: _Worker) -> int | None:
        """Replace a dead worker with a new one (last in the list); return the dead one's exit code."""
        dead.proc.join()
        code = dead.proc.exitcode
        dead.conn.close()
        self._workers.remove(dead)
        self._workers.append(self._spawn())
        return code


class _Dask(Executor):
    """Submits batches to a Dask client: a batch whose workers keep dying (KilledWorker) is split
    into single runs, and a single run that keeps killing its workers is recorded as lost
    (retried on resume)."""

    _client = None

    def client(self):
        return self._client

    def __exit__(self, *exc) -> bool:
        if self._client is not None:
            self._client.close()
        return False

    def run(self, batches: list[list[Item]], plan: Plan, sink: Sink) -> None:
        from distributed import as_completed

        client = self.client()
        try:  # load the Numba cache on every worker, and find out early if they cannot run pactsim
            client.run(warm)
        except Exception as e:  # noqa: BLE001 - whatever it is, it is the workers' environment
            raise ConfigError(f"the Dask workers cannot run pactsim ({type(e).__name__}: {e}); "
                              "install the same pactsim in the workers' environment") from None
        pending = {}

        def submit(items: list[Item]):
            fut = client.submit(self.task, items, plan.outcomes, plan.timeseries, pure=False)
            pending[fut] = items
            return fut

        queue = as_completed([submit(items) for items in batches])
        cancelled: dict[int, int] = {}  # first run index -> times its task ended with no result
        for fut in queue:
            items = pending.pop(fut)
            status = fut.status
            if status == "finished":
                sink.batch(items, fut.result())
            elif status == "error":
                exc = fut.exception()
                if len(items) > 1:
                    for item in items:
                        queue.add(submit([item]))
                else:
                    sink.lose(items, f"lost: {type(exc).__name__}: {exc}")
            else:  # cancelled or lost by the cluster without an error of its own: try again
                key = items[0][0]
                cancelled[key] = cancelled.get(key, 0) + 1
                if cancelled[key] <= 3:
                    queue.add(submit(items))
                else:
                    sink.lose(items, f"lost: the cluster dropped the task ({status}) "
                                     f"{cancelled[key]} times")
            fut.release()


class LocalDask(_LocalWorkers, _Dask):
    """A Dask ``LocalCluster`` of ``workers`` processes on loopback, started on first use (a
    sweep with nothing left to run starts none)."""

    def __init__(self, workers: int):
        self.n_workers = workers
        self.cluster = None
        self.label = f"{workers} local process{'es' if workers > 1 else ''} (dask LocalCluster)"

    def client(self):
        if self._client is None:
            import logging

            from distributed import Client, LocalCluster

            # a terminal's Ctrl-C reaches every process of the group: the worker processes
            # inherit an ignored SIGINT (Python keeps it ignored), so the sweep alone stops,
            # saves what is done and closes the cluster, with no worker tracebacks
            main = threading.current_thread() is threading.main_thread()
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
            try:
                self.cluster = LocalCluster(n_workers=self.n_workers, threads_per_worker=1,
                                            processes=True, host="127.0.0.1",
                                            dashboard_address=None, silence_logs=logging.CRITICAL)
            finally:
                if main:
                    signal.signal(signal.SIGINT, previous)
            self._client = Client(self.cluster)
        return self._client

    def __exit__(self, *exc) -> bool:
        super().__exit__(*exc)
        if self.cluster is not None:
            self.cluster.close()
        return False


def _probe(address: str, seconds: float) -> None:
    """Raise unless a Dask scheduler answers at a ``tcp://`` ``address`` within ``seconds``.

    Client's own timeout does not cover a port that accepts connections but never answers (a
    dashboard, another service: dask/distributed issue 8071) and waits forever. A scheduler
    speaks first (its handshake), so waiting for its first byte tells them apart."""
    import socket

    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port

    scheme, location = parse_address(address)
    if scheme != "tcp":  # tls://, ucx://: left to Client
        return
    host, port = parse_host_port(location)
    with socket.create_connection((host, port), timeout=seconds) as conn:
        try:
            first = conn.recv(1)
        except TimeoutError:
            raise TimeoutError(f"nothing answered as a Dask scheduler within {seconds:.0f} s; is "
                               "this the scheduler's port (usually 8786), not its dashboard's?") \
                from None
    if not first:
        raise ConnectionError("the server there closed the connection: not a Dask scheduler")


class RemoteDask(_Dask):
    """The workers of the Dask scheduler at ``address`` (connected on entry: a bad address
    writes nothing)."""

    def __init__(self, address: str):
        self.scheduler = address
        self.label = f"dask scheduler {address}"

    @property
    def workers(self) -> int:
        if self._client is None:
            return 1
        return max(1, len(self._client.scheduler_info().get("workers", {})))

    def __enter__(self) -> RemoteDask:
        from distributed import Client

        try:
            _probe(self.scheduler, _CONNECT_SECONDS)
            self._client = Client(self.scheduler, timeout=f"{_CONNECT_SECONDS}s")
        except (OSError, TimeoutError, ValueError) as e:  # ValueError: a malformed address
            raise ConfigError(f"--scheduler {self.scheduler}: cannot connect ({e})") from None
        return self

    def check_memory(self, plan: Plan, largest: float) -> None:
        """Refuse when the largest run would not fit in a remote worker's memory limit (Dask's
        nanny would restart the worker again and again instead)."""
        from sim.resources import check_memory

        workers = self._client.scheduler_info().get("workers", {})
        limits = {addr: w.get("memory_limit") or 0 for addr, w in workers.items()}
        for addr, limit in sorted(limits.items(), key=lambda kv: kv[1]):
            if limit:  # 0: the worker has no limit
                check_memory(largest, limit, f"sweep {plan.name}: a run on worker {addr}", None,
                             "start the workers with a larger --memory-limit, or use smaller runs",
                             "the worker's memory limit")
                break


def make_executor(workers: int | None = None, scheduler: str | None = None) -> Executor:
    """The executor the options ask for: ``--scheduler`` (Dask), ``--workers`` (forked local
    processes) or in-process."""
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers {workers}: must be at least 1")
    if workers is not None and scheduler:
        raise ConfigError("--workers and --scheduler: give one or the other (the cluster decides "
                          "its own workers)")
    if scheduler:
        return RemoteDask(scheduler)
    return LocalProcesses(workers) if workers else InProcess()
