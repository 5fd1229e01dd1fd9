"""`pactsim view`: explore a scenario live in the browser (a Solara page over ``sim.model``).

The page (``sim/viz_app.py``) runs the Mesa model of one scenario step by step and shows the social
network of employees (``sim.view_network``), live charts (``sim.view_charts``) and the outcome card
(``sim.view_live``); its controls come from the scenario schema (``sim.view_controls``), and a
control the lever mode ignores is disabled (``sim.lever_modes``). Comparisons (N seeds, A/B, a
stored design point) run through the kernel (``sim.view_runs``). A new setting takes effect in a
new run from week 0, which the page's button says.

The server (``sim.view_server``) binds to 127.0.0.1 unless told otherwise, refuses requests whose
Host or Origin is not the served address, gives each browser session its own model, and needs no
internet: the page's JavaScript comes from a local cache (``sim.assets``).
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from pathlib import Path

from sim.config import ROOT, Scenario
from sim.errors import ConfigError
from sim.scenario_files import load_scenario, validate

APP = Path(__file__).with_name("viz_app.py")
SCENARIO_ENV = "PACTSIM_VIEW_SCENARIO"
FROM_ENV = "PACTSIM_VIEW_FROM"
POINT_ENV = "PACTSIM_VIEW_POINT"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


# --- the page's controls by dotted key (``sim.view_controls``; the names tests and scripts use) ---
def _default_keys() -> tuple[str, ...]:
    from sim.view_controls import LEVER_CONTROLS, MODEL_CONTROLS

    return tuple(key for key, _ in LEVER_CONTROLS + MODEL_CONTROLS)


def param_key(path: str) -> str:
    """A control's keyword name (``levers.process`` -> ``levers__process``)."""
    return path.replace(".", "__")


def slider_params(cfg: Scenario, sliders: tuple[str, ...] | None = None) -> dict[str, dict]:
    """The page's controls for ``cfg`` keyed by :func:`param_key`: bounds, step, kind and value
    from the schema and the scenario; a key the schema refuses raises :class:`ConfigError`."""
    from sim.view_controls import control

    out = {}
    for path in sliders or _default_keys():
        try:
            c = control(path, path, cfg)
        except ValueError as e:
            raise ConfigError(f"view: {e}") from None
        out[param_key(path)] = {"key": c.key, "kind": c.kind, "min": c.low, "max": c.high,
                                "step": c.step, "value": c.value(cfg), "tooltip": c.tooltip}
    return out


def view_config(base: Scenario | str, values: dict, sliders: tuple[str, ...] | None = None
                ) -> Scenario:
    """``base`` with control values (keyed by :func:`param_key`) applied and validated by the
    schema, in its own lever mode (:func:`sim.view_controls.page_config`)."""
    from sim.view_controls import page_config

    cfg = base if isinstance(base, Scenario) else load_scenario(base)
    by_key = {param_key(p): p for p in sliders or _default_keys()}
    unknown = [name for name in values if name not in by_key]
    if unknown:
        raise ConfigError(f"view: {', '.join(unknown)}: not a control of the page")
    return page_config(cfg, cfg.levers.mode, {by_key[k]: v for k, v in values.items()})


# --- the command ---
def command(args: argparse.Namespace) -> int:
    """`pactsim view [SCENARIO] [--host H] [--port P] [--from DIR --point N]`: serve the page
    until Ctrl-C."""
    from sim.assets import AssetError, ensure_assets, solara_env

    results, point = getattr(args, "results", None), getattr(args, "point", None)
    if (results is None) != (point is None):
        raise ConfigError("--from and --point go together: --from RESULTS_DIR --point N")
    if results is not None:
        from sim.view_runs import stored_point

        if args.scenario != "baseline":
            raise ConfigError(f"view {args.scenario} --from {results}: give a scenario or "
                              "--from with --point, not both")
        cfg = stored_point(results, point).config  # a bad folder or point fails here
    else:
        cfg = load_scenario(args.scenario)  # a bad name fails here, before any server starts
    _check_address(args.host, args.port)
    if args.host not in LOOPBACK:
        print(f"warning: --host {args.host}: the page is served to every machine that can reach "
              "this address, with no login: anyone there can run models on this machine. "
              "Requests must still name the address (Host, Origin).", file=sys.stderr)
    try:
        cache = ensure_assets()
    except AssetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    warm_up(cfg)
    env = solara_env(cache)
    env[SCENARIO_ENV] = str(args.scenario)
    if results is not None:
        env[FROM_ENV], env[POINT_ENV] = str(Path(results).resolve()), str(point)
    cmd = [sys.executable, "-m", "sim.view_server", str(APP), args.host, str(args.port)]
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"pactsim view: {cfg.name} at http://{shown}:{args.port}/  (Ctrl-C stops)", flush=True)
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return _stop(proc)
    finally:
        if proc.poll() is None:
            _stop(proc)


def _check_address(host: str, port: int) -> None:
    """Fail before starting the server when it could not listen at ``host:port`` (an unknown
    address, a port in use), with the reason instead of the server's traceback."""
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            s.bind((host, port))
    except (OSError, UnicodeError) as e:
        reason = getattr(e, "strerror", None) or str(e)
        hint = "" if host == "127.0.0.1" else ", or --host 127.0.0.1"
        raise ConfigError(f"--host {host} --port {port}: cannot listen there ({reason}); "
                          f"pass another --port{hint}") from None


def _stop(proc: subprocess.Popen) -> int:
    """Stop the server. A terminal's Ctrl-C has already reached it (same process group): give it
    a moment to shut down, then SIGINT (uvicorn shuts down cleanly), SIGTERM, SIGKILL."""
    for sig, wait in ((None, 3), (signal.SIGINT, 5), (signal.SIGTERM, 3), (signal.SIGKILL, 3)):
        if proc.poll() is not None:
            break
        if sig is not None:
            proc.send_signal(sig)
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            continue
    print("pactsim view: stopped", file=sys.stderr)
    return 0


def warm_up(cfg: Scenario) -> None:
    """Load (or compile, the first time) the rules as the Mesa model calls them, on a tiny copy of
    the scenario, so the first page does not wait for Numba."""
    small = validate({**cfg.model_dump(mode="python"),
                      "population": {**cfg.population.model_dump(), "n_employees": 20,
                                     "n_units": 2, "n_customers": 20},
                      "technology": {**cfg.technology.model_dump(), "n_seed_users": 2}},
                     "warm-up")
    from sim.engine import run
    from sim.view_live import LiveRun

    live = LiveRun(small, seed=0)
    live.step()
    live.network_png()
    run(small, 0, 2)  # the kernel, for the comparisons


__all__ = ["command", "param_key", "slider_params", "view_config", "warm_up"]
