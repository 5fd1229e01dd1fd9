"""The browser page's JavaScript and CSS, served from a local cache so `pactsim view` works offline.

Solara's page loads its front end (Vue/Vuetify app, RequireJS, Font Awesome, the grid layout) from a
public CDN; offline the page stays blank (docs/ARCHITECTURE.md, stack notes). Solara's asset
proxy (``/_solara/cdn/<path>``, solara/server/cdn_helper.py) first looks for ``<cache>/<path>``,
where ``<path>`` is the CDN path ``<npm name>@<version>/<file in the package>``, and the cache folder is
``$SOLARA_ASSETS_PROXY_CACHE_DIR``. :func:`ensure_assets` fills ``.cache/solara-cdn/`` (git-ignored)
from the npm registry with ``npm pack``, once: a package folder counts as done when its ``.complete``
marker exists, so a failed or interrupted download is redone on the next call.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from sim.config import ROOT

# the exact versions solara 1.64.1's page template and components request (docs/ARCHITECTURE.md, stack notes)
PACKAGES = (
    "@widgetti/solara-vuetify-app@10.1.1",
    "requirejs@2.3.6",
    "font-awesome@4.5.0",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2",
)
CACHE_DIR = ROOT / ".cache" / "solara-cdn"
MARKER = ".complete"


class AssetError(RuntimeError):
    """The front-end assets could not be fetched; ``str()`` says what to do."""


def is_complete(cache_dir: Path = CACHE_DIR) -> bool:
    """True when every package is unpacked in ``cache_dir``."""
    return all((cache_dir / spec / MARKER).is_file() for spec in PACKAGES)


def _npm_pack(spec: str, dest: Path, npm: str, cache_dir: Path) -> Path:
    try:
        out = subprocess.run([npm, "pack", spec, "--json", "--pack-destination", str(dest)],
                             capture_output=True, text=True, timeout=300, cwd=dest)
    except FileNotFoundError:
        raise AssetError(f"`{npm}` was not found: install Node.js and npm (e.g. `apt-get install "
                         "npm`), which `pactsim view` needs once to fetch the page's JavaScript "
                         f"into {cache_dir}") from None
    except subprocess.TimeoutExpired:
        raise AssetError(f"`npm pack {spec}` timed out after 300 s: is the npm registry "
                         "reachable?") from None
    if out.returncode != 0:
        tail = "\n".join((out.stderr or out.stdout).strip().splitlines()[-6:])
        raise AssetError(f"`npm pack {spec}` failed (exit {out.returncode}); the page's JavaScript "
                         f"comes from the npm registry once, then from {cache_dir}.\n{tail}")
    try:
        path = dest / json.loads(out.stdout)[-1]["filename"]
    except (ValueError, LookupError, TypeError):
        path = dest / "?"
    if path.is_file():
        return path
    tgz = sorted(dest.glob("*.tgz"))  # npm versions that print no JSON
    if len(tgz) != 1:
        raise AssetError(f"`npm pack {spec}`: could not find the tarball it wrote in {dest}")
    return tgz[0]


def _unpack(tgz: Path, target: Path) -> None:
    """Unpack the package's files (the tarball's single top folder, usually ``package/``)."""
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        with tarfile.open(tgz) as tar:
            tar.extractall(tmp, filter="data")
        tops = [p for p in Path(tmp).iterdir() if p.is_dir()]
        if len(tops) != 1:
            raise AssetError(f"{tgz.name}: expected one top folder, found {[p.name for p in tops]}")
        if target.exists():
            shutil.rmtree(target)
        tops[0].rename(target)


def ensure_assets(cache_dir: Path = CACHE_DIR, npm: str = "npm", log=print) -> Path:
    """Make sure every package of :data:`PACKAGES` is unpacked under ``cache_dir``; return it.

    Idempotent: packages already complete are skipped. Raises :class:`AssetError` when npm is
    missing or fails.
    """
    cache_dir = Path(cache_dir)
    for spec in PACKAGES:
        target = cache_dir / spec  # e.g. <cache>/@widgetti/solara-vuetify-app@10.1.1
        if (target / MARKER).is_file():
            continue
        log(f"fetching {spec} from the npm registry into {cache_dir} (once)")
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            tgz = _npm_pack(spec, Path(tmp), npm, cache_dir)
            _unpack(tgz, target)
        (target / MARKER).write_text(spec + "\n")
    return cache_dir


def solara_env(cache_dir: Path = CACHE_DIR) -> dict[str, str]:
    """Environment for a Solara server that uses the local cache and sends no telemetry."""
    env = dict(os.environ)
    env["SOLARA_ASSETS_PROXY"] = "True"
    env["SOLARA_ASSETS_PROXY_CACHE_DIR"] = str(cache_dir)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    # solara warns on every page load served over plain http on 127.0.0.1 (cookie policy): noise here
    env["PYTHONWARNINGS"] = "ignore:Cookies with samesite:UserWarning"
    return env
