"""The sweep's world cache (sim.sweep.worlds): its key covers every config field the world builder
reads, a run leaves its world unchanged, the cache is bounded, and results do not depend on it."""

import dataclasses
import hashlib

import numpy as np
import pandas as pd
import pytest
from pydantic import BaseModel

from sim import engine, sweep
from sim.config import Scenario
from sim.storage import frame_digest
from sim.sweep import worlds
from sim.world import build_world


class Traced:
    """A config (or one of its sections) that records the dotted path of every field read."""

    def __init__(self, obj, path: str, seen: set[str]):
        self._obj, self._path, self._seen = obj, path, seen

    def __getattr__(self, name):
        value = getattr(self._obj, name)
        path = f"{self._path}.{name}" if self._path else name
        if isinstance(value, BaseModel):
            return Traced(value, path, self._seen)
        self._seen.add(path)
        return value


def _covered(path: str) -> bool:
    return any(path == key or path.startswith(key + ".") for key in worlds.WORLD_INPUTS)


def _variants() -> list[Scenario]:
    base = {"population": {"n_employees": 40, "n_units": 2, "n_customers": 60},
            "landscape": {"nk_n": 10, "nk_k": 2}}
    more = [{}, {"graph": {"employee_graph": "erdos_renyi"}},
            {"graph": {"employee_graph": "complete", "customer_graph": "complete"}},
            {"landscape": {"nk_n": 10, "nk_k": 0, "kind": "reality"}},
            {"landscape": {"nk_n": 10, "nk_k": 2, "p_turbulence": 0.0}},
            {"rules": {"adoption": "threshold", "funnel": "march_code"},
             "behaviour": {"share_slow": 0.3}},
            {"population": {"n_employees": 40, "n_units": 1, "n_customers": 60,
                            "advocate_placement": "random"}}]
    out = []
    for extra in more:
        data = {k: dict(v) for k, v in base.items()}
        for k, v in extra.items():
            data[k] = {**data.get(k, {}), **v}
        out.append(Scenario.model_validate(data))
    return out


@pytest.mark.parametrize("cfg", _variants(), ids=lambda c: "variant")
def test_the_key_covers_every_field_the_world_builder_reads(cfg):
    seen: set[str] = set()
    traced_world = build_world(Traced(cfg, "", seen), 3)
    assert seen, "nothing traced: build_world no longer reads the config through attributes?"
    missing = sorted(p for p in seen if not _covered(p))
    assert not missing, f"build_world reads {missing}: add them to sim.sweep.worlds.WORLD_INPUTS"
    assert _digest(traced_world) == _digest(build_world(cfg, 3))


def test_equal_keys_are_equal_worlds_and_other_fields_do_not_matter():
    cfg = _variants()[0]
    levers = cfg.model_copy(update={"levers": cfg.levers.model_copy(update={"culture": 0.9})})
    assert worlds.world_key(cfg, 1) == worlds.world_key(levers, 1)
    assert _digest(build_world(cfg, 1)) == _digest(build_world(levers, 1))
    assert worlds.world_key(cfg, 1) != worlds.world_key(cfg, 2)
    bigger = cfg.model_copy(update={"population": cfg.population.model_copy(
        update={"n_employees": 41})})
    assert worlds.world_key(cfg, 1) != worlds.world_key(bigger, 1)


def _arrays(obj):
    if isinstance(obj, np.ndarray):
        yield obj
    elif dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            yield from _arrays(getattr(obj, f.name))


def _digest(world) -> str:
    h = hashlib.sha256()
    for a in _arrays(world):
        h.update(str((a.dtype, a.shape)).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


@pytest.mark.parametrize("cfg", _variants(), ids=lambda c: "variant")
def test_a_run_leaves_its_world_unchanged(cfg):
    world = build_world(cfg, 5)
    before = _digest(world)
    for a in _arrays(world):  # Python-side writes would raise; the kernel's are caught by the digest
        a.setflags(write=False)
    first = engine.simulate(cfg, seed=5, steps=30, world=world)
    assert _digest(world) == before
    again = engine.simulate(cfg, seed=5, steps=30, world=world)
    fresh = engine.simulate(cfg, seed=5, steps=30)
    pd.testing.assert_frame_equal(first.timeseries, fresh.timeseries)
    pd.testing.assert_frame_equal(again.timeseries, fresh.timeseries)
    assert _same(first.outcomes, fresh.outcomes) and _same(again.outcomes, fresh.outcomes)


def _same(a: dict, b: dict) -> bool:
    """Equal outcome dicts, NaN equal to NaN."""
    return pd.Series(a, dtype=object).equals(pd.Series(b, dtype=object))


def test_the_cache_is_bounded_least_recently_used_first_out():
    cfg = _variants()[0]
    size, *others = [worlds.world_bytes(build_world(cfg, seed)) for seed in range(3)]
    cache = worlds.WorldCache(max_bytes=size + max(others))  # two worlds, not three
    a = cache.get(cfg, 0)
    assert cache.get(cfg, 0) is a and (cache.hits, cache.misses) == (1, 1)
    cache.get(cfg, 1)
    cache.get(cfg, 0)  # 0 is now the most recent
    cache.get(cfg, 2)  # evicts 1
    assert len(cache) == 2 and cache.bytes <= cache.max_bytes
    assert cache.get(cfg, 0) is a
    misses = cache.misses
    cache.get(cfg, 1)
    assert cache.misses == misses + 1
    tiny = worlds.WorldCache(max_bytes=size // 2)  # a world larger than the bound: not kept
    tiny.get(cfg, 0)
    assert len(tiny) == 0 and tiny.bytes == 0
    off = worlds.WorldCache(max_bytes=0)
    assert off.get(cfg, 0) is not off.get(cfg, 0) and len(off) == 0


def test_the_bound_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(worlds.ENV_CACHE, "3M")
    assert worlds.cache().max_bytes == 3 * 2**20
    monkeypatch.setenv(worlds.ENV_CACHE, "0")
    assert worlds.cache().max_bytes == 0
    monkeypatch.delenv(worlds.ENV_CACHE)
    assert worlds.cache().max_bytes == worlds.DEFAULT_BYTES


def test_runs_are_ordered_by_seed_so_that_they_share_worlds():
    plan = sweep.expand("smoke", ci=True)
    todo = sweep._todo(plan, set())
    seeds = [seed for *_, seed in todo]
    assert seeds == sorted(seeds)  # grouped: each seed in one stretch
    assert len({rid for _, rid, *_ in todo}) == len({r.run_id for r in plan.runs}) == len(todo)


def test_results_do_not_depend_on_the_cache(tmp_path, monkeypatch):
    plan = sweep.expand("smoke", ci=True)
    worlds.reset()
    on = sweep.run_experiment(plan, out=tmp_path / "on", progress=False)
    assert worlds.cache().hits >= len(plan.runs) - 2 * len(set(plan.seeds))  # it was used
    monkeypatch.setenv(worlds.ENV_CACHE, "0")
    off = sweep.run_experiment(plan, out=tmp_path / "off", progress=False)
    assert worlds.cache().hits == 0
    a, b = pd.read_parquet(on / "runs.parquet"), pd.read_parquet(off / "runs.parquet")
    pd.testing.assert_frame_equal(a, b)
    assert frame_digest(a) == frame_digest(b)
    pd.testing.assert_frame_equal(pd.read_parquet(on / "timeseries.parquet"),
                                  pd.read_parquet(off / "timeseries.parquet"))
