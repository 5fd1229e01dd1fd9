"""Where a sweep's runs execute, behind one interface (:class:`Executor`): in this process
(:class:`InProcess`), on a Dask ``LocalCluster`` of worker processes (:class:`LocalDask`) or on
the workers of a remote Dask scheduler (:class:`RemoteDask`). Results do not depend on the
executor: every run is a pure function of its config and seed.

An executor runs batches through its :attr:`Executor.task` (by default :func:`execute_batch`); a
test gives a subclass another task (one that kills its worker, say) to inject faults.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from sim.columns import stored_outcome_dtype
from sim.config import Scenario
from sim.errors import ConfigError
from sim.metrics import SERIES_NAMES

if TYPE_CHECKING:
    import pandas as pd

    from sim.sweep.plan import Plan
    from sim.sweep.results import Sink

ENV_CHUNK = "PACTSIM_SWEEP_CHUNK"
"""Runs per task and chunk file (default: sized from a timed run so a task takes about 0.5 s)."""

# target work per task: Dask costs about 3 ms per task, so half a second keeps its overhead
# under 1% while a lost worker loses little
_TASK_SECONDS = 0.5
_CONNECT_SECONDS = 10.0

Item = tuple[int, str, Scenario, int]  # (run index, run id, config, seed)


# --- running a batch --------------------------------------------------------------------------

def outcome_frame(records: list[dict], outcomes: tuple[str, ...]) -> pd.DataFrame:
    """Outcome records as a table: run_id, the outcomes (stored types, ``sim.columns``), error."""
    import pandas as pd

    df = pd.DataFrame.from_records(records, columns=["run_id", *outcomes, "error"])
    df["run_id"] = df["run_id"].astype("str")
    for name in outcomes:
        df[name] = df[name].astype(stored_outcome_dtype(name))
    df["error"] = df["error"].astype("str")
    return df


def execute_batch(items: list[Item], outcomes: tuple[str, ...], timeseries: bool,
                  on_run: Callable[[], None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Run ``items``; return ``(outcomes table, time series table or None)``.

    A run that raises is recorded with its error and null outcomes; the batch goes on.
    """
    import pandas as pd

    from sim import engine

    records, series = [], []
    for _, rid, cfg, seed in items:
        try:
            result = engine.simulate(cfg, seed=seed)
        except Exception as e:  # noqa: BLE001 - any failure of one run is data, not a crash
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


def batch_size(seconds_per_run: float, pending: int, workers: int) -> int:
    """Runs per batch: ``$PACTSIM_SWEEP_CHUNK`` when set, else about half a second of work."""
    env = os.environ.get(ENV_CHUNK)
    if env:
        return max(1, int(env))
    per_run = max(seconds_per_run, 1e-4)
    size = math.ceil(_TASK_SECONDS / per_run)
    if workers > 1:
        # several tasks per worker balance the load, but no task under 0.1 s (Dask's overhead)
        size = max(min(size, math.ceil(pending / (4 * workers))), math.ceil(0.1 / per_run))
    return max(1, size)


# --- the executors ----------------------------------------------------------------------------

class Executor:
    """Runs batches of a plan and hands each result to a sink. Use as a context manager: entering
    connects (remote) or prepares; leaving closes whatever was started."""

    label = "executor"
    task = staticmethod(execute_batch)
    """What runs one batch: ``task(items, outcomes, timeseries) -> (outcomes, series)``."""

    @property
    def workers(self) -> int:
        """Worker count, for sizing batches."""
        return 1

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc) -> bool:
        return False

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


class LocalDask(_Dask):
    """A Dask ``LocalCluster`` of ``workers`` processes on loopback, started on first use (a
    sweep with nothing left to run starts none)."""

    def __init__(self, workers: int):
        self.n_workers = workers
        self.cluster = None
        self.label = f"{workers} local process{'es' if workers > 1 else ''} (dask LocalCluster)"

    @property
    def workers(self) -> int:
        return self.n_workers

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
    """The executor the options ask for: ``--scheduler``, ``--workers`` or in-process."""
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers {workers}: must be at least 1")
    if workers is not None and scheduler:
        raise ConfigError("--workers and --scheduler: give one or the other (the cluster decides "
                          "its own workers)")
    if scheduler:
        return RemoteDask(scheduler)
    return LocalDask(workers) if workers else InProcess()
