"""`pactsim view` in a real browser: Debian's headless Chromium driven by Playwright.

Starts the server on a free loopback port with a schedule-mode scenario (full_pact, 1,000
employees), loads the page with every request to anything but the server blocked (so the test
proves the page works offline), and checks: the time a Step takes until the status, the network
picture and the fitness chart have all changed; Play's speed and how soon Pause stops it; that the
controls the schedule mode ignores are disabled and that changing the order changes the run (a new
run from week 0, announced by its button); the previous run as a faded trace; the finished state;
N seeds and the A/B mode; seed validation; a foreign Host and a foreign websocket Origin refused;
Ctrl-C. Screenshots go to tests/screenshots/ (git-ignored); the measured figures are printed and
written to tests/screenshots/figures.json.
"""

import http.client
import json
import os
import signal
import socket
import statistics
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
SHOTS = ROOT / "tests" / "screenshots"
# a Step's latency in the page: click, then wait until status, network and fitness chart changed
STEP_JS = """async () => {
  const q = (s) => document.querySelector(s);
  const state = () => [q('.pactsim-status').textContent, q('img.pactsim-net-dots').src,
                       q('.pactsim-fitness').innerHTML];
  const before = state();
  const t0 = performance.now();
  const changed = new Promise((resolve) => {
    const check = () => { const now = state();
      if (now.every((v, i) => v !== before[i])) { obs.disconnect(); resolve(); } };
    const obs = new MutationObserver(check);
    obs.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
  });
  q('.pactsim-step').click();
  await changed;
  return (performance.now() - t0) / 1000;
}"""


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
    proc = subprocess.Popen([sys.executable, "-m", "sim", "view", "full_pact", "--port", str(port)],
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


def _status(request, port: int, headers: dict) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", request, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def _week(page) -> int:
    text = page.locator(".pactsim-status").inner_text()
    return int(text.split("Week ", 1)[1].split(" ", 1)[0])


def _choose(page, label: str, option: str) -> None:
    page.locator(".v-select").filter(has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()


def _open_tab(page, name: str, marker) -> None:
    """Click a tab until ``marker`` shows (a click during a re-render of the tabs can be lost)."""
    for _ in range(3):
        page.get_by_role("tab", name=name, exact=True).click()
        try:
            marker.wait_for(timeout=5_000)
            return
        except Exception:
            continue
    marker.wait_for(timeout=5_000)


def _shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


@pytest.mark.slow
@pytest.mark.browser
def test_view_in_the_browser(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    url, proc = server
    port = urlparse(url).port
    # served on loopback only by default: nobody else on the network can drive the model
    assert _listening(port) == ["0100007F"]
    # a request naming another host (DNS rebinding) and a websocket from another origin: refused
    assert _status("/", port, {"Host": "evil.example"}) == 403
    ws = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
          "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    assert _status("/jupyter/api/kernels/x/channels", port,
                   {**ws, "Host": f"127.0.0.1:{port}", "Origin": "http://evil.example"}) == 403
    assert _status("/", port, {"Host": f"localhost:{port}"}) == 200
    host = urlparse(url).netloc
    blocked, failed = [], []
    figures: dict = {}

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
                page.get_by_text("Week 0 of 156").wait_for(timeout=90_000)
            except Exception:
                _shot(page, "blank.png")
                pytest.fail(f"the page did not show the model; blocked: {blocked}, failed: {failed}, "
                            f"server log:\n{(tmp_path / 'server.log').read_text()[-3000:]}")
            # the page says what it shows: a target line, units, a single seed, the scenario
            assert "target 0.8" in page.locator(".pactsim-fitness").inner_html()
            assert "fitness (1 = best solution)" in page.locator(".pactsim-fitness").inner_html()
            assert page.get_by_text("one run, seed 0").is_visible()
            assert page.locator(".pactsim-outcome").first.is_visible()  # the card is in view
            assert page.get_by_text("Process from week 0").is_visible()

            # Step: model, network and charts, measured in the page
            page.locator(".pactsim-net img").nth(1).wait_for(timeout=30_000)
            times = [page.evaluate(STEP_JS) for _ in range(12)]
            assert _week(page) == 12
            figures["step_s"] = {"median": statistics.median(times), "min": min(times),
                                 "max": max(times), "n": len(times)}
            assert statistics.median(times) < 0.25, f"a Step took {times} s in the browser"
            charts_before = page.locator(".pactsim-chart").all_inner_texts()
            svg_before = [page.locator(".pactsim-chart").nth(i).inner_html() for i in range(3)]
            assert charts_before

            # a second browser session gets a model of its own, at week 0
            other = browser.new_context().new_page()
            other.route("**/*", only_loopback)
            other.goto(url, wait_until="domcontentloaded")
            other.get_by_text("Week 0 of 156").wait_for(timeout=60_000)
            other.context.close()
            assert _week(page) == 12

            # the schedule mode ignores the levels: disabled, and said so
            page.get_by_text("Settings the schedule mode ignores").click()
            process = page.locator(".pactsim-key-levers-process")
            process.wait_for(timeout=10_000)
            assert process.locator(".v-input--is-disabled").count() == 1
            # change the order: the new-run button says what a new run changes
            _choose(page, "Order in which the levers switch on",
                    "culture → advocates → technology → process")
            new_run = page.locator(".pactsim-new-run")
            page.get_by_text("with the new settings (Order in which the levers switch on)").wait_for(
                timeout=10_000)
            page.get_by_text("Not yet in the run: Order in which the levers switch on").wait_for(
                timeout=10_000)
            assert _week(page) == 12  # the run on screen goes on with its own settings
            _shot(page, "view-pending-change.png")
            new_run.click()
            page.get_by_text("Week 0 of 156").wait_for(timeout=30_000)
            page.get_by_text("Culture from week 0").wait_for(timeout=10_000)
            times2 = [page.evaluate(STEP_JS) for _ in range(12)]
            figures["step_s"]["second_run"] = statistics.median(times2)
            svg_after = [page.locator(".pactsim-chart").nth(i).inner_html() for i in range(3)]
            assert svg_after[2] != svg_before[2], "the new order did not change the run"
            assert "previous run (seed 0)" in svg_after[0]  # the faded trace, and what it was
            assert page.get_by_text("Grey: previous run (seed 0), schedule: Process from week 0"
                                    ).is_visible()

            # Play at 20 weeks a second, Pause, then to the end of the run
            _choose(page, "Play speed", "20 weeks a second")
            play = page.locator(".pactsim-play")
            play.click()
            time.sleep(1.5)
            w1, t1 = _week(page), time.monotonic()
            time.sleep(3.0)
            w2, t2 = _week(page), time.monotonic()
            play.click()  # Pause
            page.get_by_role("button", name="Play", exact=True).wait_for(timeout=10_000)
            w_paused = _week(page)
            time.sleep(1.0)
            lag = _week(page) - w_paused
            figures["play_steps_per_s"] = (w2 - w1) / (t2 - t1)
            figures["pause_lag_steps"] = lag
            figures["status_after_play"] = page.locator(".pactsim-status").inner_text()
            assert figures["play_steps_per_s"] >= 5, figures
            assert lag <= 1, f"Pause let {lag} more steps run"
            _shot(page, "view-live.png")
            play.click()
            page.locator(".pactsim-finished").wait_for(timeout=60_000)
            assert _week(page) == 156
            page.locator(".pactsim-play:disabled").wait_for(timeout=10_000)  # Play ends, then greys
            expect(page.locator(".pactsim-step")).to_be_disabled(timeout=10_000)
            _shot(page, "view-finished.png")

            # seeds typed in the page are validated against the schema, with a message
            seed = page.locator(".pactsim-seed input")
            for bad, message in (("-1", "seed -1: must be from 0"), ("1.5", "seed '1.5'"),
                                 (str(2**64), f"seed {2**64}: must be from 0")):
                seed.fill(bad)
                page.get_by_text(message).first.wait_for(timeout=10_000)
                expect(new_run).to_be_disabled(timeout=10_000)
            seed.fill("3")
            page.get_by_text("with the new settings (seed)").wait_for(timeout=10_000)

            # Compare: N seeds, then A and B on the same seed
            _open_tab(page, "Compare: seeds and A/B", page.locator(".pactsim-run-seeds"))
            page.get_by_label("How many seeds").fill("6")
            page.get_by_role("button", name="Run 6 seeds (from seed 3)", exact=True).click()
            summary = page.locator(".pactsim-ensemble-summary")
            summary.wait_for(timeout=60_000)
            assert summary.inner_text().startswith("these settings: 6 runs, ")
            assert "10-90% of the runs" in page.locator(".pactsim-ensemble").inner_html()
            page.locator(".pactsim-pin-a").click()
            slider = page.locator('.pactsim-key-levers-schedule-level_on [role="slider"]')
            slider.focus()
            for _ in range(30):
                slider.press("ArrowLeft")
            page.get_by_text("Level once switched on: 0.50 level").wait_for(timeout=10_000)
            page.get_by_text("B differs from A in: Level once switched on").wait_for(timeout=10_000)
            page.locator(".pactsim-run-ab").click()
            page.locator(".pactsim-ab-b").wait_for(timeout=60_000)
            assert page.locator(".pactsim-ab-a").inner_text().startswith("A (seed 3): ")
            assert page.locator(".pactsim-ab-b").inner_text().startswith("B (seed 3): ")
            expect(summary).to_be_visible()  # the seeds' result stays beside A/B
            _shot(page, "view-compare.png")
            _open_tab(page, "About this model", page.get_by_text("What to try"))
            page.get_by_text(open(ROOT / "scenarios" / "full_pact.toml").read().split(
                'description = "')[1].split('"')[0]).wait_for(timeout=10_000)
            _shot(page, "view-about.png")

            # budget mode: its controls act, shares that do not sum to 1 are refused with a message
            _choose(page, "How the levers are set", "budget (shares of a total)")
            page.locator(".pactsim-key-levers-budget-total .v-input--is-disabled").wait_for(
                state="detached", timeout=10_000)  # enabled now
            page.get_by_text("Settings the budget mode ignores (11, disabled)").wait_for(
                timeout=10_000)  # the levels and the schedule
            share = page.locator('.pactsim-key-levers-budget-process [role="slider"]')
            share.focus()
            share.press("End")
            page.get_by_text("budget shares sum to 1.75; they must sum to 1").wait_for(
                timeout=10_000)
            expect(new_run).to_be_disabled(timeout=10_000)
            page.get_by_role("button", name="Scale the shares to sum to 1 (now 1.75)",
                             exact=True).click()
            page.get_by_text("budget shares sum to").wait_for(state="detached", timeout=10_000)
            new_run.click()
            _open_tab(page, "Live run", page.get_by_text("budget 2: Process 1.00, Advocates 0.28"))
        except Exception:
            _shot(page, "failure.png")
            raise
        finally:
            browser.close()
            SHOTS.mkdir(exist_ok=True)
            (SHOTS / "figures.json").write_text(json.dumps(figures, indent=1))
            print("browser figures:", json.dumps(figures))
    assert not failed, f"requests failed: {failed}"
    assert not blocked, f"the page asked the internet for {blocked}"

    # Ctrl-C stops the server cleanly
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(30) == 0
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)
