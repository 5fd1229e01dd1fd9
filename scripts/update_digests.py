"""Recompute the committed digests of the experiments at their [ci] size, on purpose.

Run: .venv/bin/python scripts/update_digests.py [EXPERIMENT ...]   (default: every experiments/*.toml)
Writes tests/digests/<experiment>.sha256 ("<sha256>  <experiment>") and, beside it,
tests/digests/<experiment>.json: per-column summaries of runs.parquet and timeseries.parquet
(tests/digest_summary.py) that let tests/test_sweep_digests.py say which outcome or series column
changed, and by how much, when a fresh run no longer gives the digest. A study's digest is that of
its questions' worlds and seeds (sim.sweep.study.design_digest), without a summary. Commit both with
the change that moved them.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from sim import sweep
    from sim.sweep import study
    from tests import digest_summary as ds

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("experiments", nargs="*", help="names in experiments/ (default: all)")
    args = ap.parse_args(argv)
    names = args.experiments or sorted(p.stem for p in (ROOT / "experiments").glob("*.toml"))
    digests = ROOT / "tests" / "digests"
    digests.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = sweep.resolve_experiment(name)
        if study.is_study(path):  # its questions' worlds and seeds (sim.sweep.study.design_digest)
            target = digests / f"{path.stem}.sha256"
            old = target.read_text().split()[0] if target.is_file() else None
            digest = study.design_digest(path)
            target.write_text(f"{digest}  {path.stem}\n")
            print(f"{path.stem:<28} {digest[:16]}…  "
                  f"{'unchanged' if old == digest else 'new' if old is None else 'CHANGED'} (study)")
            continue
        with tempfile.TemporaryDirectory(prefix="pactsim-digest-") as tmp:
            digest = sweep.ci_digest(path, Path(tmp) / "res")
            summary = ds.summarize_results(Path(tmp) / "res", digest)
        target = digests / f"{path.stem}.sha256"
        summary_file = digests / f"{path.stem}.json"
        old = target.read_text().split()[0] if target.is_file() else None
        changes = []
        if old is not None and old != digest and summary_file.is_file():
            changes = ds.explain(json.loads(summary_file.read_text()), summary)
        target.write_text(f"{digest}  {path.stem}\n")
        summary_file.write_text(ds.dumps(summary))
        state = "unchanged" if old == digest else "new" if old is None else "CHANGED"
        print(f"{path.stem:<28} {digest[:16]}…  {state}")
        for line in changes:
            print(f"    {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
