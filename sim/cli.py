"""The command line: ``pactsim run | list`` (more commands register in ``COMMANDS``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.config import ROOT, ConfigError

EXPERIMENT_DIR = ROOT / "experiments"


def _fmt(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "—" if value != value else f"{value:.4g}"
    return str(value)


def cmd_run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from sim.config import config_hash, load_scenario
    from sim.engine import simulate
    from sim.storage import write_run

    cfg = load_scenario(args.scenario, args.set or ())
    seed = cfg.run.seed if args.seed is None else args.seed
    steps = cfg.run.steps if args.steps is None else args.steps
    result = simulate(cfg, seed=seed, steps=steps)
    out = Path(args.out) if args.out else (
        ROOT / "results" / "runs" / f"{cfg.name.replace('/', '_')}-{config_hash(cfg)[:8]}-s{seed}")
    write_run(result, out)
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
    from sim.config import list_scenarios

    print("scenarios:")
    for name, desc in list_scenarios().items():
        print(f"  {name:<28} {desc}")
    print("experiments:")
    exps = sorted(EXPERIMENT_DIR.glob("*.toml")) if EXPERIMENT_DIR.is_dir() else []
    if not exps:
        print("  (none)")
    for p in exps:
        import tomllib
        try:
            desc = str(tomllib.loads(p.read_text()).get("description", "")).strip()
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            desc = "(unreadable)"
        print(f"  {p.stem:<28} {desc.splitlines()[0] if desc else ''}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pactsim", description="Agent-based simulator of Social Innovation Networks (PACT).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run one scenario and write its results")
    p.add_argument("scenario", help="a name in scenarios/ (e.g. baseline) or a path to a TOML file")
    p.add_argument("--seed", type=int, help="run seed (default: the scenario's run.seed)")
    p.add_argument("--steps", type=int, help="horizon in steps (default: run.steps)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a parameter, e.g. --set levers.culture=0.9 (repeatable)")
    p.add_argument("--out", help="output folder (default: results/runs/<scenario>-<hash>-s<seed>)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("list", help="list scenarios and experiments")
    p.set_defaults(func=cmd_list)
    return parser


def _check_args(args: argparse.Namespace) -> None:
    if getattr(args, "seed", None) is not None and not 0 <= args.seed < 2**63:
        raise ConfigError(f"--seed {args.seed}: must be in [0, 2**63)")
    if getattr(args, "steps", None) is not None and not 1 <= args.steps <= 5200:
        raise ConfigError(f"--steps {args.steps}: must be in [1, 5200]")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _check_args(args)
        return args.func(args)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
