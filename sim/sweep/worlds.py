"""A bounded cache of worlds (``sim.world.build_world``) for the runs of a sweep.

In a sweep, replicate r has the same seed at every design point, and most designs vary levers
that the world does not depend on, so one world serves many runs. Building it costs the landscape's
exact maximum (2**N scores), the graph and the thresholds: as much as a third of a run.

The key (:func:`world_key`) is the seed and the values of the config fields the world builder
reads (:data:`WORLD_INPUTS`); ``tests/test_sweep_worlds.py`` traces every field that
``build_world`` reads and fails when one is missing here. A run does not change its world
(``sim.state.new_state`` copies what a run writes; tested), so a cached world gives the run a
freshly built one would: results do not depend on hits.

Each process holds one cache (:func:`cache`), bounded in bytes (``$PACTSIM_WORLD_CACHE``, default
:data:`DEFAULT_BYTES`; 0 turns it off), least recently used first out. Sweeps order their runs by
seed so that consecutive runs share their world.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.config import Scenario
    from sim.world import World

ENV_CACHE = "PACTSIM_WORLD_CACHE"
"""Bytes of worlds a process keeps (``64M``, ``0`` for none; default :data:`DEFAULT_BYTES`)."""
DEFAULT_BYTES = 64 * 2**20  # 7 worlds of the default N = 20 (a 9 MiB score memo and bounds each)

WORLD_INPUTS = (
    "population",
    "graph",
    "landscape.kind", "landscape.nk_n", "landscape.nk_k", "landscape.exponent",
    "behaviour.phi", "behaviour.phi_spread", "behaviour.share_slow",
    "technology.n_seed_users",
    "advocates.share",  # its maximum only: the graph's advocate candidates
)
"""The config fields (dotted; a section: all of its fields) that ``build_world`` reads."""
_REDUCE = {"advocates.share": max}


def _value(cfg: Scenario, path: str):
    obj = cfg
    for part in path.split("."):
        obj = getattr(obj, part)
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    return _REDUCE[path](obj) if path in _REDUCE else obj


def world_inputs(cfg: Scenario) -> str:
    """What ``build_world(cfg, seed)`` depends on besides the seed, as a string (equal strings:
    equal worlds for equal seeds)."""
    return json.dumps({path: _value(cfg, path) for path in WORLD_INPUTS}, sort_keys=True)


def world_key(cfg: Scenario, seed: int) -> tuple[int, str]:
    return int(seed), world_inputs(cfg)


def world_bytes(world: World) -> int:
    """Bytes held by the world's arrays."""
    def walk(obj) -> int:
        if isinstance(obj, np.ndarray):
            return obj.nbytes
        if dataclasses.is_dataclass(obj):
            return sum(walk(getattr(obj, f.name)) for f in dataclasses.fields(obj))
        return 0
    return walk(world)


def cache_bytes() -> int:
    """The bound in bytes: ``$PACTSIM_WORLD_CACHE`` when set, else :data:`DEFAULT_BYTES`."""
    env = os.environ.get(ENV_CACHE)
    if env is None or not env.strip():
        return DEFAULT_BYTES
    from sim.resources import parse_size

    return int(parse_size(env))


class WorldCache:
    """Worlds by :func:`world_key`, at most ``max_bytes`` of them (least recently used out; a world
    larger than the bound is built and not kept). Thread-safe (Dask workers may run threads)."""

    def __init__(self, max_bytes: int = DEFAULT_BYTES):
        self.max_bytes = int(max_bytes)
        self._worlds: OrderedDict[tuple[int, str], tuple[World, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._worlds)

    def get(self, cfg: Scenario, seed: int) -> World:
        """``build_world(cfg, seed)``, from the cache when there."""
        from sim.world import build_world

        if self.max_bytes <= 0:
            self.misses += 1
            return build_world(cfg, seed)
        key = world_key(cfg, seed)
        with self._lock:
            found = self._worlds.get(key)
            if found is not None:
                self._worlds.move_to_end(key)
                self.hits += 1
                return found[0]
        world = build_world(cfg, seed)
        size = world_bytes(world)
        with self._lock:
            self.misses += 1
            if size <= self.max_bytes and key not in self._worlds:
                self._worlds[key] = (world, size)
                self.bytes += size
                while self.bytes > self.max_bytes:
                    _, (_, dropped) = self._worlds.popitem(last=False)
                    self.bytes -= dropped
        return world

    def clear(self) -> None:
        with self._lock:
            self._worlds.clear()
            self.bytes = 0


_CACHE: WorldCache | None = None


def cache() -> WorldCache:
    """This process's cache, bounded by :func:`cache_bytes` (made afresh when that changed)."""
    global _CACHE
    bound = cache_bytes()
    if _CACHE is None or _CACHE.max_bytes != bound:
        _CACHE = WorldCache(bound)
    return _CACHE


def reset(max_bytes: int | None = None) -> WorldCache:
    """Start this process's cache afresh (bound: ``max_bytes``, default :func:`cache_bytes`)."""
    global _CACHE
    _CACHE = WorldCache(cache_bytes() if max_bytes is None else max_bytes)
    return _CACHE
