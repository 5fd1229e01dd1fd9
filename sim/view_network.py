"""The page's picture of the social network: employees on their colleague ties, one unit a cluster.

Units sit on a circle; a unit's employees sit on a spiral of three turns in node order (the order
of the small-world ring lattice), so lattice ties are short and rewired or cross-unit ties stand
out, and dots overlap less than on one ring. The ties are drawn once per graph (cached); each step
draws only the employees, from the state's arrays: fill = HERO Index group, size = fitness of the
employee's own solution, diamond = advocate, dark square outline = active platform user, orange
halo = an idea in the funnel, green ring = an idea of theirs was launched.
"""

from __future__ import annotations

import hashlib
import io
from typing import TYPE_CHECKING

import numpy as np

from sim.enums import Group, Platform, Stage

if TYPE_CHECKING:
    from sim.world import World

NET_PX = 600  # side of the picture, pixels
GROUP_COLOURS = ("#d62728", "#1f77b4", "#ff7f0e", "#b0b0b0")  # Group order
GROUP_NAMES = ("HERO", "locked-down", "rogue", "disenfranchised")
PLATFORM_COLOUR = "#111111"
IDEA_COLOUR = "#f5a623"
LAUNCHED_COLOUR = "#2ca02c"
TURNS = 3  # turns of a unit's spiral
# (mark, colour, meaning) in the order the legend lists them; the page's legend is made from this
LEGEND = tuple((("dot", c, f"{n} (fill colour)") for c, n in zip(GROUP_COLOURS, GROUP_NAMES,
                                                                  strict=True))) + (
    ("size", "#777777", "larger dot: fitter own solution"),
    ("diamond", "#777777", "advocate"),
    ("square", PLATFORM_COLOUR, "active platform user (dark square outline)"),
    ("halo", IDEA_COLOUR, "idea in the funnel (orange halo)"),
    ("ring", LAUNCHED_COLOUR, "an idea of theirs launched (green ring)"),
)
_CACHE: dict[str, tuple] = {}


def graph_digest(indptr: np.ndarray, nbr: np.ndarray, n_emp: int) -> str:
    """A hash of the employee part of a CSR graph (the layout's cache key)."""
    h = hashlib.sha1(np.int64(n_emp).tobytes())
    h.update(indptr[:n_emp + 1].tobytes())
    h.update(nbr[:indptr[n_emp]].tobytes())
    return h.hexdigest()


def layout(world: World) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Employee positions (n_emp, 2), unit centres (n_units, 2), and line segments of intra-unit
    and cross-unit colleague ties; computed once per graph and cached."""
    g, unit = world.graph, world.population.unit
    n_emp = unit.shape[0]
    key = graph_digest(g.indptr, g.nbr, n_emp)
    if key in _CACHE:
        return _CACHE[key]
    n_units = int(unit.max()) + 1
    angle = 2 * np.pi * np.arange(n_units) / n_units
    centres = np.c_[np.cos(angle), np.sin(angle)] * (1.0 if n_units > 1 else 0.0)
    start = np.searchsorted(unit, np.arange(n_units))
    size = np.bincount(unit, minlength=n_units)
    frac = (np.arange(n_emp) - start[unit]) / np.maximum(size[unit], 1)  # 0..1 along the spiral
    turns = np.where(size[unit] >= 3 * TURNS * 6, TURNS, 1)
    theta = 2 * np.pi * turns * frac
    radius = min(0.92 * np.sin(np.pi / n_units), 0.5) if n_units > 1 else 1.0
    r = radius * np.where(turns > 1, 0.4 + 0.6 * frac, 1.0)
    pos = centres[unit] + r[:, None] * np.c_[np.cos(theta), np.sin(theta)]
    src = np.repeat(np.arange(n_emp), np.diff(g.indptr[:n_emp + 1]))
    dst = g.nbr[:g.indptr[n_emp]]
    kind = g.kind[:g.indptr[n_emp]]
    keep = (dst < n_emp) & (src < dst) & (kind != 2)  # each colleague tie once; latent platform
    src, dst = src[keep], dst[keep]                   # ties change with adoption: left out
    segs = np.stack([pos[src], pos[dst]], axis=1)
    same = unit[src] == unit[dst]
    if len(_CACHE) > 16:
        _CACHE.clear()
    _CACHE[key] = (pos, centres, segs[same], segs[~same])
    return _CACHE[key]


def _hex(colour: str) -> list[int]:
    return [int(colour[k:k + 2], 16) for k in (1, 3, 5)]


# the overlay's palette: 0 transparent, then the groups, platform outline, halo, ring, black
PALETTE = [0, 0, 0, *sum((_hex(c) for c in GROUP_COLOURS), []), *_hex(PLATFORM_COLOUR),
           *_hex(IDEA_COLOUR), *_hex(LAUNCHED_COLOUR), 0, 0, 0]
_PLATFORM, _HALO, _RING, _BLACK = 5, 6, 7, 8


def _pixels(world: World) -> tuple[np.ndarray, float, np.ndarray]:
    """The employees' pixel positions, the scale (pixels per layout unit) and the unit centres'."""
    pos, centres, _, _ = layout(world)
    span = np.abs(pos).max() * 1.04 + 1e-9
    scale = (NET_PX / 2 - 8) / span

    def px(xy: np.ndarray) -> np.ndarray:
        return np.c_[NET_PX / 2 + xy[..., 0].ravel() * scale,
                     NET_PX / 2 - xy[..., 1].ravel() * scale]

    return px(pos), scale, px(centres)


def background_png(world: World) -> bytes:
    """The ties and unit labels as a PNG, drawn once per graph (cached): the page stacks the
    employees' overlay (:func:`overlay_png`) on it, so a step sends only the overlay."""
    from PIL import Image, ImageDraw

    pos, centres, intra, cross = layout(world)
    key = graph_digest(world.graph.indptr, world.graph.nbr, pos.shape[0]) + ":background"
    if key in _CACHE:
        return _CACHE[key]
    _, scale, centre_px = _pixels(world)
    image = Image.new("RGB", (NET_PX, NET_PX), "white")
    draw = ImageDraw.Draw(image)
    for segs, colour in ((cross, "#c6dbef"), (intra, "#dddddd")):
        ends = np.c_[NET_PX / 2 + segs[..., 0].ravel() * scale,
                     NET_PX / 2 - segs[..., 1].ravel() * scale].reshape(-1, 2, 2)
        for (x0, y0), (x1, y1) in ends.tolist():
            draw.line((x0, y0, x1, y1), fill=colour, width=1)
    for u, c in enumerate(centre_px.tolist()):
        draw.text((c[0], c[1]), f"unit {u}", fill="#444444", anchor="mm")
    buf = io.BytesIO()
    image.save(buf, format="png", compress_level=6)
    _CACHE[key] = buf.getvalue()
    return _CACHE[key]


def employee_marks(rows: dict[str, np.ndarray], n_advocates: float) -> dict[str, np.ndarray]:
    """What each employee's dot shows, from the state's arrays (``sim.state``): group, advocate,
    active platform user, idea in the funnel, fitness of its own solution."""
    emp, res = rows["empowered"], rows["resourceful"]
    group = np.where(emp, np.where(res, Group.HERO, Group.LOCKED_DOWN),
                     np.where(res, Group.ROGUE, Group.DISENFRANCHISED))
    return {"group": group, "advocate": rows["adv_rank"] < n_advocates,
            "platform": rows["platform"] == Platform.ACTIVE,
            "idea": rows["idea_stage"] != Stage.NONE, "fitness": rows["fitness"]}


def overlay_png(world: World, marks: dict[str, np.ndarray], launched: np.ndarray | None = None
                ) -> bytes:
    """PNG (palette, transparent) of the employees at one step (``marks`` from
    :func:`employee_marks`; ``launched``: employees with an idea launched): about 6 ms at 1,000
    employees, where a full RGB picture cost 85 ms to compress."""
    from PIL import Image, ImageDraw

    xy, _, _ = _pixels(world)
    image = Image.new("P", (NET_PX, NET_PX), 0)
    image.putpalette(PALETTE + [0] * (768 - len(PALETTE)))
    draw = ImageDraw.Draw(image)
    n = xy.shape[0]
    base = 1.8 if n <= 2000 else 1.0
    radius = base + 1.8 * np.clip(marks["fitness"], 0.0, 1.0)
    launched = np.zeros(n, bool) if launched is None else launched
    for x, y, r, g, adv, plat, idea, done in zip(
            xy[:, 0].tolist(), xy[:, 1].tolist(), radius.tolist(), marks["group"].tolist(),
            marks["advocate"].tolist(), marks["platform"].tolist(), marks["idea"].tolist(),
            launched.tolist(), strict=True):
        fill = 1 + g
        if idea:
            draw.ellipse((x - r - 2.5, y - r - 2.5, x + r + 2.5, y + r + 2.5), fill=_HALO)
        if done:
            draw.ellipse((x - r - 3.5, y - r - 3.5, x + r + 3.5, y + r + 3.5), outline=_RING,
                         width=2)
        if adv:
            draw.regular_polygon((x, y, 1.6 * r + 1), 4, rotation=45, fill=fill, outline=_BLACK)
        elif plat:
            draw.rectangle((x - r, y - r, x + r, y + r), fill=fill, outline=_PLATFORM, width=1)
        else:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)
    buf = io.BytesIO()
    image.save(buf, format="png", compress_level=1, transparency=0)
    return buf.getvalue()
