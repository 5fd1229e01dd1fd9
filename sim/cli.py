"""The command line: ``pactsim run | list | sweep | report | compare | view | validate``.

Each command parses here and runs in its own module, imported only when used."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from sim.errors import STORAGE_ERRNOS, ConfigError, ResultsError

MAX_ERROR_LINES = 40
"""An error message longer than this is cut (a config with thousands of bad values)."""


def _fmt(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "—" if value != value else f"{value:.4g}"
    return str(value)


def _slug(name: str) -> str:
    """A scenario name as one safe folder-name component (``canonical/bass`` -> ``canonical_bass``;
    nothing in a name can climb out of ``results/runs``)."""
    return re.sub(r"[^A-Za-z0-9_.+-]+", "_", name).lstrip(".") or "scenario"


def run_folder_name(name: str, config_hash_: str, seed: int, steps: int) -> str:
    """``pactsim run``'s default folder name: the scenario's slug, then a hash of everything that
    decides the run (config, seed, steps), so that no other run ever reuses it."""
    import hashlib

    digest = hashlib.sha256(f"{config_hash_}:{seed}:{steps}".encode()).hexdigest()[:12]
    return f"{_slug(name)}-{digest}-s{seed}"


def cmd_run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from sim.config import ROOT, config_hash
    from sim.engine import simulate
    from sim.resources import check_memory, estimate_run_bytes, parse_size
    from sim.scenario_files import load_scenario
    from sim.storage import check_run_folder, write_run

    cfg = load_scenario(args.scenario, args.set or ())
    from sim.lever_modes import warn_ignored

    warn_ignored(cfg, args.set)  # --set of a value the lever mode ignores: say so (stderr)
    seed = cfg.run.seed if args.seed is None else args.seed
    steps = cfg.run.steps if args.steps is None else args.steps
    need = estimate_run_bytes(cfg, steps)
    check_memory(need["total"], parse_size(args.max_memory) if args.max_memory else None,
                 f"scenario {cfg.name}", need)
    out = Path(args.out) if args.out else (
        ROOT / "results" / "runs" / run_folder_name(cfg.name, config_hash(cfg), seed, steps))
    check_run_folder(out)
    result = simulate(cfg, seed=seed, steps=steps)
    out = write_run(result, out)
    table = Table(caption=f"{cfg.name}, seed {seed}, {steps} steps, {result.wall_time:.2f} s")
    table.add_column("outcome")
    table.add_column("value", justify="right")
    for key, value in result.outcomes.items():
        if key == "innovation_speed" and result.outcomes["innovation_censored"]:
            value = f"> {value} (censored)"
        table.add_row(key, _fmt(value))
    console = Console()
    console.print(table)
    console.print(f"wrote {out}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from sim.scenario_files import list_scenarios
    from sim.sweep.experiment import EXPERIMENT_DIR

    print("scenarios:")
    for name, desc in list_scenarios().items():
        print(printable(f"  {name:<28} {desc}"))
    print("experiments:")
    exps = sorted(EXPERIMENT_DIR.glob("*.toml")) if EXPERIMENT_DIR.is_dir() else []
    if not exps:
        print("  (none)")
    for p in exps:
        from sim.scenario_files import read_toml

        try:
            desc = str(read_toml(p).get("description", "")).strip()
        except ConfigError:
            desc = "(unreadable)"
        print(printable(f"  {p.stem:<28} {desc.splitlines()[0] if desc else ''}"))
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.lever_modes import warn_experiment

    warn_experiment(args.experiment)  # keys the base scenario's lever mode ignores (stderr)
    return _lazy("sim.sweep", "command")(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pactsim", description="Agent-based simulator of Social Innovation Networks (PACT).")
    parser.add_argument("--version", action="version", version=f"pactsim {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run one scenario and write its results")
    p.add_argument("scenario", help="a name in scenarios/ (e.g. baseline) or a path to a TOML file")
    p.add_argument("--seed", type=int, help="run seed (default: the scenario's run.seed)")
    p.add_argument("--steps", type=int, help="horizon in steps (default: run.steps)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a parameter, e.g. --set levers.culture=0.9 (repeatable)")
    p.add_argument("--out", help="output folder (default: results/runs/<scenario>-<hash>-s<seed>, "
                   "the hash of the config, seed and steps)")
    p.add_argument("--max-memory", metavar="SIZE",
                   help="allow the run this much memory, e.g. 16G (default: 90%% of what is available)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("list", help="list scenarios and experiments")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("sweep", help="run an experiment (a design of many runs) and store results")
    p.add_argument("experiment", help="a name in experiments/ or a path to a TOML file")
    p.add_argument("--workers", type=int, default=None,
                   help="local worker processes (default: in-process batch)")
    p.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786")
    p.add_argument("--out", help="results folder (default: results/<experiment>)")
    p.add_argument("--fresh", action="store_true", help="discard earlier results in the folder")
    p.add_argument("--ci", action="store_true", help="run the experiment's small [ci] size")
    p.add_argument("--max-memory", metavar="SIZE",
                   help="allow the sweep this much memory, e.g. 16G (default: 90%% of what is "
                   "available)")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("report", help="write RESULTS_DIR/report.html from stored results")
    p.add_argument("results_dir", help="a folder written by `pactsim sweep`")
    p.add_argument("--open", action="store_true", help="open the report in a browser")
    p.set_defaults(func=_lazy("sim.report", "command"))

    p = sub.add_parser("view", help="explore a scenario live in the browser (Mesa + Solara)")
    p.add_argument("scenario", nargs="?", default="baseline", help="scenario name or TOML path")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--from", dest="results", metavar="RESULTS_DIR",
                   help="a folder written by `pactsim sweep`: view one of its design points")
    p.add_argument("--point", type=int, help="the design point of --from to view (its settings, "
                   "and its stored replicates as a band)")
    p.set_defaults(func=_lazy("sim.viz", "command"))

    p = sub.add_parser("compare", help="two scenarios (or one and overrides) on common random "
                       "numbers: the paired difference of every outcome")
    p.add_argument("a", metavar="A", help="scenario name or TOML path")
    p.add_argument("b", metavar="B", nargs="?", help="second scenario (default: A with --set)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a parameter: of B when only A is given, else of both (repeatable)")
    p.add_argument("--replicates", type=int, default=10, help="seeds per scenario (default 10)")
    p.add_argument("--steps", type=int, help="horizon in steps (default: A's run.steps)")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.set_defaults(func=_lazy("sim.compare", "command"))

    p = sub.add_parser("validate", help="reproduce the classic models (Bass, Watts, March, "
                       "Lazer-Friedman)")
    p.add_argument("cases", nargs="*", help="cases to run (default: all)")
    p.add_argument("--quick", action="store_true", help="a reduced set for CI (under 2 minutes)")
    p.add_argument("--json", help="also write the table as JSON to this file")
    p.set_defaults(func=_lazy("sim.canonical", "command"))
    return parser


def _lazy(module: str, name: str):
    """A command implemented elsewhere, imported only when it runs (keeps start-up fast)."""
    def call(args: argparse.Namespace) -> int:
        import importlib

        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
            print(f"error: `pactsim {args.command}` is not available in this version",
                  file=sys.stderr)
            return 2
        return getattr(mod, name)(args)
    return call


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("pactsim")
    except metadata.PackageNotFoundError:
        import sim

        return sim.__version__


_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Bidirectional controls: they reorder what a terminal shows (text that reads other than it is)."""


def printable(text: str) -> str:
    """``text`` with control characters (but newlines) and bidirectional controls escaped: text
    from files (a lock holder, a name) cannot move the cursor, clear the screen, retitle the
    terminal or reorder the line."""
    import unicodedata

    return "".join(repr(c)[1:-1] if c != "\n" and (unicodedata.category(c) == "Cc" or c in _BIDI)
                   else c for c in text)


def _error(message: str) -> None:
    """Print ``error: message`` to stderr, escaped (:func:`printable`) and cut to
    :data:`MAX_ERROR_LINES` lines of at most 400 characters."""
    lines = printable(message).split("\n")
    if len(lines) > MAX_ERROR_LINES:
        lines = [*lines[:MAX_ERROR_LINES], f"... and {len(lines) - MAX_ERROR_LINES} more lines"]
    lines = [line if len(line) <= 400 else line[:397] + "..." for line in lines]
    print("error: " + "\n".join(lines), file=sys.stderr)


def _check_args(args: argparse.Namespace) -> None:
    from sim.out_paths import check_output

    if getattr(args, "seed", None) is not None and not 0 <= args.seed < 2**63:
        raise ConfigError(f"--seed {args.seed}: must be in [0, 2**63)")
    if getattr(args, "steps", None) is not None and not 1 <= args.steps <= 5200:
        raise ConfigError(f"--steps {args.steps}: must be in [1, 5200]")
    if getattr(args, "port", None) is not None and not 1 <= args.port <= 65535:
        raise ConfigError(f"--port {args.port}: must be in [1, 65535]")
    if getattr(args, "out", None) is not None:
        check_output("--out", args.out, folder=True)
    if isinstance(getattr(args, "json", None), str):  # validate's file (compare's is a switch)
        check_output("--json", args.json, folder=False)


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        _check_args(args)
        return args.func(args)
    except ConfigError as e:
        _error(str(e))
        return 2
    except ResultsError as e:
        _error(str(e))
        return 1
    except BrokenPipeError:  # `pactsim list | head`: the reader left; say nothing more
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as e:  # a full disk or read-only folder is the user's to fix: say so plainly
        if e.errno not in STORAGE_ERRNOS:
            raise
        _error(f"cannot write {e.filename or 'results'}: {e.strerror}")
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except SystemError as e:  # Ctrl-C inside compiled code surfaces chained to a SystemError
        from sim.errors import interrupted

        if not interrupted(e):
            raise
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
