"""Recompute the committed digests of the experiments at their [ci] size, on purpose.

Run: .venv/bin/python scripts/update_digests.py [EXPERIMENT ...]   (default: every experiments/*.toml)
Writes tests/digests/<experiment>.sha256 ("<sha256>  <experiment>"), which
tests/test_sweep_digests.py compares with a fresh run. Commit them with the change that moved them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from sim import sweep

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("experiments", nargs="*", help="names in experiments/ (default: all)")
    args = ap.parse_args(argv)
    names = args.experiments or sorted(p.stem for p in (ROOT / "experiments").glob("*.toml"))
    digests = ROOT / "tests" / "digests"
    digests.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = sweep.resolve_experiment(name)
        with tempfile.TemporaryDirectory(prefix="pactsim-digest-") as tmp:
            digest = sweep.ci_digest(path, Path(tmp) / "res")
        target = digests / f"{path.stem}.sha256"
        old = target.read_text().split()[0] if target.is_file() else None
        target.write_text(f"{digest}  {path.stem}\n")
        state = "unchanged" if old == digest else "new" if old is None else "CHANGED"
        print(f"{path.stem:<28} {digest[:16]}…  {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
