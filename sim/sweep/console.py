"""What a sweep prints: a progress bar while it runs, a summary table when it ends."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.sweep.plan import Plan


def progress(console, total: int, name: str, enabled: bool):
    """A rich progress bar of ``total`` runs (``advance(n)``), a context manager."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task) -> Text:
            return Text(f"{task.speed:.1f} runs/s" if task.speed else "– runs/s")

    bar = Progress(TextColumn(f"[bold]{name}"), BarColumn(), MofNCompleteColumn(), Rate(),
                   TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                   console=console, disable=not enabled)
    task = bar.add_task("runs", total=total)

    class Handle:
        def __enter__(self):
            bar.__enter__()
            return self

        def __exit__(self, *exc):
            return bar.__exit__(*exc)

        def advance(self, n: int) -> None:
            bar.advance(task, n)

        def note(self, text: str) -> None:
            """A line above the bar (unless the sweep is quiet)."""
            console.print(f"[yellow]note[/]: {text}", markup=True, highlight=False)

    return Handle()


def summary(console, plan: Plan, out: Path, df, executed: int, skipped: int, lost: int,
            wall: float, executor: str) -> None:
    """The table printed at the end of a sweep, and the first few failures."""
    from rich.table import Table

    failed = int(df["error"].notna().sum())
    table = Table(show_header=False, box=None, title=f"sweep {plan.name}"
                  f"{' (ci size)' if plan.ci else ''}: {len(plan.points)} points × "
                  + (f"{len(plan.worlds)} plausible worlds × " if plan.uncertain else "")
                  + f"{plan.replicates} "
                  f"replicate{'s' if plan.replicates > 1 else ''}, {plan.steps} steps", title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("runs", f"{len(df)} in all: {len(df) - failed} done, {failed} failed")
    table.add_row("this session", f"{executed} run, {skipped} already done (skipped)"
                  + (f", {lost} lost with their workers (run again to retry)" if lost else ""))
    rate = f", {executed / wall:.1f} runs/s" if executed and wall > 0 else ""
    table.add_row("wall time", f"{wall:.1f} s{rate} ({executor})")
    files = "runs.parquet" + (", timeseries.parquet" if plan.timeseries else "") + ", manifest.json"
    table.add_row("results", f"{out} ({files})")
    table.add_row("next", f"pactsim report {out}")
    console.print(table)
    if failed:
        errors = df.loc[df["error"].notna(), ["point", "replicate", "error"]].head(3)
        for row in errors.itertuples():
            console.print(f"[red]failed[/] point {row.point} replicate {row.replicate}: {row.error}")
