"""`pactsim view` in a real browser: Debian's headless Chromium driven by Playwright.

Starts the server on a free loopback port, loads the page with every request to anything but the
server blocked (so the test proves the page works offline), steps the model, checks the clock and
the plots, moves a lever slider, resets, saves a screenshot, and stops the server with Ctrl-C.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlparse

import pytest

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_serving(url: str, proc: subprocess.Popen, log, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            pytest.fail(f"pactsim view exited with {proc.returncode}:\n{log.read()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"pactsim view did not serve {url} within {timeout} s")


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    log = open(tmp_path / "server.log", "w+")  # closed in the finally below
    # a session of its own, so the Ctrl-C below reaches the server as a terminal's would
    proc = subprocess.Popen([sys.executable, "-m", "sim", "view", "baseline", "--port", str(port)],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_serving(f"http://127.0.0.1:{port}/", proc, log)
        yield f"http://127.0.0.1:{port}/", proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()


def _listening(port: int) -> list[str]:
    """Local addresses (hex, as /proc/net shows them) of the sockets listening on ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                addr, _, hexport = local.partition(":")
                if state == "0A" and int(hexport, 16) == port:  # 0A: LISTEN
                    found.append(addr)
    return found


@pytest.mark.slow
@pytest.mark.browser
def test_view_steps_plots_sliders_and_reset(server, tmp_path):
    from playwright.sync_api import sync_playwright

    url, proc = server
    # served on loopback only by default: nobody else on the network can drive the model
    assert _listening(urlparse(url).port) == ["0100007F"]
    host = urlparse(url).netloc
    blocked, failed = [], []

    def only_loopback(route):
        if urlparse(route.request.url).netloc == host:
            route.continue_()
        else:  # the CDN, fonts, telemetry: none may be needed
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.route("**/*", only_loopback)
            page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400
                    else None)
            page.goto(url, wait_until="domcontentloaded")
            try:
                page.get_by_text("Time: 0.0").wait_for(timeout=90_000)
            except Exception:
                (tmp_path / "blank.png").write_bytes(page.screenshot(full_page=True))
                pytest.fail(f"the page did not show the model; blocked: {blocked}, failed: {failed}, "
                            f"server log:\n{(tmp_path / 'server.log').read_text()[-3000:]}")
            outcomes = page.locator(".pactsim-outcome")
            outcomes.first.wait_for(timeout=30_000)
            images = page.locator("img")
            images.nth(1).wait_for(timeout=30_000)
            before = [images.nth(i).get_attribute("src") for i in range(2)]

            step = page.get_by_role("button", name="Step")
            t0 = time.monotonic()
            for i in range(1, 6):
                step.click()
                page.get_by_text(f"Time: {i}.0").wait_for(timeout=20_000)
            per_step = (time.monotonic() - t0) / 5
            page.get_by_text("weeks run:").locator("..").get_by_text("5", exact=True).wait_for(
                timeout=10_000)
            assert page.get_by_text("Time: 5.0").is_visible()
            after = [images.nth(i).get_attribute("src") for i in range(2)]
            assert after[0] != before[0], "the network picture did not change after 5 steps"
            assert after[1] != before[1], "the plots did not change after 5 steps"
            assert per_step < 5.0, f"a step took {per_step:.2f} s in the browser"

            # a second browser session gets a model of its own, at step 0
            other = browser.new_context().new_page()
            other.route("**/*", only_loopback)
            other.goto(url, wait_until="domcontentloaded")
            other.get_by_text("Time: 0.0").wait_for(timeout=60_000)
            other.context.close()
            assert page.get_by_text("Time: 5.0").is_visible()

            # move the Process lever: 10 key presses of 0.01 from the scenario's 0.5
            slider = page.locator('[role="slider"][aria-label^="levers.process"]')
            slider.focus()
            for _ in range(10):
                slider.press("ArrowRight")
            page.wait_for_function(
                "() => document.querySelector('[role=slider][aria-label^=\"levers.process\"]')"
                ".getAttribute('aria-valuenow') === '0.6'", timeout=10_000)

            page.get_by_role("button", name="Reset").click()
            page.get_by_text("Time: 0.0").wait_for(timeout=30_000)
            # the new model was built from the slider's value
            page.get_by_text("0.60, 0.50, 0.50, 0.50").wait_for(timeout=30_000)
            shot = tmp_path / "pactsim-view.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 20_000
            if os.environ.get("PACTSIM_SCREENSHOT"):
                page.screenshot(path=os.environ["PACTSIM_SCREENSHOT"], full_page=True)
        finally:
            browser.close()
    assert not failed, f"requests failed: {failed}"
    assert not blocked, f"the page asked the internet for {blocked}"

    # Ctrl-C stops the server cleanly
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(30) == 0
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)
