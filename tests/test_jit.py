"""The compiled code's on-disk cache is keyed by every source it is built from (``sim.jit``): an
edit of a callee's file recompiles its callers, and the list of sources cannot go stale."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim import jit

ROOT = Path(__file__).resolve().parents[1]
COMPILED = re.compile(r"^@(njit|intrinsic|overload)\b|^@structref\.register|\(IntEnum\):", re.M)


def test_the_sources_are_every_module_with_compiled_code_or_its_enums():
    found = {str(p.relative_to(jit.PACKAGE)) for p in jit.PACKAGE.rglob("*.py")
             if p.name != "jit.py" and COMPILED.search(p.read_text(encoding="utf-8"))}
    assert found == set(jit.SOURCES)


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="no cache without the JIT")
def test_a_cached_function_is_checked_against_every_sources_stamp():
    from sim.kernel import run_kernel

    own, sources = run_kernel._cache._cache_file._source_stamp
    assert sources == jit.sources_stamp() and len(sources) == len(jit.SOURCES)
    assert own == run_kernel._cache._impl.locator.get_source_stamp()  # Numba's, of kernel.py


def test_the_stamp_changes_when_any_source_changes(tmp_path):
    for name in jit.SOURCES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(jit.PACKAGE / name, tmp_path / name)
    before = jit.sources_stamp(tmp_path)
    assert jit.sources_stamp(tmp_path) is before  # taken once per process
    target = tmp_path / "rules" / "ties.py"
    st = target.stat()
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    jit._stamps.pop(tmp_path)
    assert jit.sources_stamp(tmp_path) != before


DRAWS = "import sim.rules.technology as t; print(t.access_draws(1, 3).tolist())"


@pytest.mark.slow
def test_an_edited_callee_is_not_served_from_its_callers_cache(tmp_path):
    """access_draws (sim/rules/technology.py) inlines uniform (sim/rng.py): after an edit of
    sim/rng.py alone, a new process must run the edited draw, not the cached one."""
    shutil.copytree(ROOT / "sim", tmp_path / "sim",
                    ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    env.pop("NUMBA_CACHE_DIR", None)
    env.pop("NUMBA_DISABLE_JIT", None)

    def draws():
        out = subprocess.run([sys.executable, "-c", DRAWS], env=env, cwd=tmp_path,
                             capture_output=True, text=True, check=True)
        return ast.literal_eval(out.stdout.strip().splitlines()[-1])

    first = draws()
    assert list((tmp_path / "sim" / "rules" / "__pycache__").glob("technology.access_draws*.nbi"))
    assert draws() == first  # served from the cache
    rng = tmp_path / "sim" / "rng.py"
    text = rng.read_text(encoding="utf-8")
    assert "_INV53 = 1.0 / 9007199254740992.0" in text
    rng.write_text(text.replace("_INV53 = 1.0 / 9007199254740992.0",
                                "_INV53 = 0.5 / 9007199254740992.0"), encoding="utf-8")
    assert draws() == [x / 2 for x in first]
