"""The view's web server: Solara's Starlette app behind a Host and Origin check, run by uvicorn.

``python -m sim.view_server APP HOST PORT`` serves the Solara page ``APP``. Every HTTP request must
name the served address in its ``Host`` header, and a websocket (the page's live connection) or a
request that carries an ``Origin`` must come from a page of that address: a page elsewhere that
makes a browser send requests here (DNS rebinding, cross-site websockets) is refused with 403.
The served address is the one bound; on loopback also ``localhost``; on every address
(``0.0.0.0``, ``::``) the machine's own names and addresses.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

LOOPBACK = ("127.0.0.1", "localhost", "::1")
ANY = ("0.0.0.0", "::", "")


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The ``host[:port]`` values a request may name when the server binds ``host:port``."""
    names = {host}
    if host in LOOPBACK:
        names |= set(LOOPBACK)
    if host in ANY:
        names |= set(LOOPBACK)
        fqdn = socket.getfqdn()
        names |= {socket.gethostname(), fqdn}
        try:
            names |= {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)}
        except OSError:
            pass
    out = set()
    for name in names - set(ANY):
        shown = f"[{name}]" if ":" in name else name
        out |= {f"{shown}:{port}".lower()}
        if port == 80:
            out.add(shown.lower())
    return frozenset(out)


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def refusal(scope: dict, allowed: Iterable[str]) -> str | None:
    """Why a request (an ASGI ``http`` or ``websocket`` scope) is refused; None when it may go on."""
    allowed = set(allowed)
    host = (_header(scope, b"host") or "").lower()
    if host not in allowed:
        return f"Host {host or '(none)'!r} is not the served address"
    origin = _header(scope, b"origin")
    if origin is None:
        if scope["type"] == "websocket":
            return "a websocket without an Origin"
        return None
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() not in allowed:
        return f"Origin {origin!r} is not the served address"
    return None


Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


class HostGuard:
    """ASGI middleware: passes on requests whose Host (and Origin, when sent; always for a
    websocket) name an allowed address, answers the others 403."""

    def __init__(self, app: Callable[..., Awaitable[None]], allowed: Iterable[str]) -> None:
        self.app = app
        self.allowed = frozenset(a.lower() for a in allowed)
        self.refused = 0

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        why = refusal(scope, self.allowed)
        if why is None:
            return await self.app(scope, receive, send)
        self.refused += 1
        print(f"pactsim view: refused a request: {why}", file=sys.stderr, flush=True)
        body = f"refused: {why}\n".encode()
        if scope["type"] == "websocket":
            # closing before accepting makes the server answer the handshake with 403
            await send({"type": "websocket.close", "code": 1008})
            return None
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
        return None


def serve(app_path: str, host: str, port: int) -> None:
    """Serve the Solara page ``app_path`` at ``host:port`` behind :class:`HostGuard`."""
    import os

    import uvicorn

    os.environ["SOLARA_APP"] = app_path
    os.environ.setdefault("SOLARA_MODE", "production")
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)
    from solara.server.starlette import app as solara_app

    guarded: Any = HostGuard(solara_app, allowed_hosts(host, port))
    uvicorn.run(guarded, host=host, port=port, log_level="warning")


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2], int(sys.argv[3]))
