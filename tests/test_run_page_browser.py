"""The run page opened from disk in headless Chromium, driven over the DevTools protocol.

Fails on a console error, an uncaught exception, a request that leaves the disk, a missing
chart, a register row too few or a highlight missing. The screenshot of the page is kept in
`test-artifacts/run-page.png` (ignored by git). Skipped only where no Chromium is installed
(Debian: `apt-get install chromium`; `.ci/run` installs it).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import polars as pl
import pytest
from websockets.sync.client import connect

from pipelines.engine.machinery.reference import load as load_reference
from pipelines.operator.runs import run_week
from pipelines.reports import run_page

ROOT = Path(__file__).parent.parent
FIXTURES = ROOT / "fixtures"
ARTIFACTS = ROOT / "test-artifacts"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
BROWSER = next((found for name in BROWSERS if (found := shutil.which(name))), None)

pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="no Chromium on this machine (Debian: apt-get install chromium; "
    ".ci/run installs it): the run page cannot be opened in a browser here")


class Page:
    """One DevTools session on one tab: commands, and the events seen so far."""

    def __init__(self, url: str):
        self.ws = connect(url, max_size=64 * 2**20, open_timeout=30)
        self.events: list[dict] = []
        self._id = 0

    def send(self, method: str, **params) -> dict:
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=60))
            if message.get("id") == self._id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while not any(e.get("method") == method for e in self.events):
            left = deadline - time.monotonic()
            assert left > 0, f"no {method} within {seconds} s"
            with contextlib.suppress(TimeoutError):
                self.events.append(json.loads(self.ws.recv(timeout=left)))

    def js(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    """The bundled sample week after the national list, its run page written."""
    data = tmp_path_factory.mktemp("page")
    reference = load_reference(FIXTURES / "reference")
    run_week([FIXTURES / "national" / "national-defect-list.dat"], data, reference,
             dt.date(2026, 11, 10))
    result = run_week(sorted((FIXTURES / "sample-week").glob("*.dat")), data, reference,
                      dt.date(2026, 11, 17))
    page = run_page.write(result, data)
    return data, result, page


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    proc = subprocess.Popen(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (active.exists() and len(active.read_text().splitlines()) >= 2):
            assert proc.poll() is None, f"{BROWSER} exited with {proc.returncode}"
            assert time.monotonic() < deadline, f"{BROWSER} gave no DevTools port in 60 s"
            time.sleep(0.1)
        port = active.read_text().splitlines()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as r:
            tab = next(t for t in json.load(r) if t["type"] == "page")
        yield tab["webSocketDebuggerUrl"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def opened(week, browser, tmp_path_factory):
    """The page loaded in the tab, its screenshot kept."""
    _, _, path = week
    page = Page(browser)
    for domain in ("Runtime", "Log", "Page", "Network"):
        page.send(f"{domain}.enable")
    page.send("Emulation.setDeviceMetricsOverride", width=1400, height=1000,
              deviceScaleFactor=1, mobile=False)
    page.send("Page.navigate", url=path.as_uri())
    page.wait_for("Page.loadEventFired")
    shot = page.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    png = base64.b64decode(shot["data"])
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "run-page.png").write_bytes(png)
    (tmp_path_factory.mktemp("shot") / "run-page.png").write_bytes(png)
    top = page.js("document.getElementById('registers').getBoundingClientRect().top"
                  " + window.scrollY")
    clip = page.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                     clip={"x": 0, "y": top, "width": 1400, "height": 1400, "scale": 1})
    (ARTIFACTS / "run-page-registers.png").write_bytes(base64.b64decode(clip["data"]))
    yield page
    page.ws.close()


def test_run_page_loads_without_console_error_exception_or_network_request(opened):
    errors = [e for e in opened.events
              if e.get("method") == "Runtime.exceptionThrown"
              or (e.get("method") == "Runtime.consoleAPICalled"
                  and e["params"]["type"] in ("error", "assert"))
              or (e.get("method") == "Log.entryAdded"
                  and e["params"]["entry"]["level"] == "error")]
    assert errors == []
    requests = [e["params"]["request"]["url"] for e in opened.events
                if e.get("method") == "Network.requestWillBeSent"]
    assert requests and all(u.startswith("file://") for u in requests), requests


def test_run_page_draws_all_four_charts_as_svg_with_marks(opened):
    charts = opened.js("""[...document.querySelectorAll('figure.chart')].map(f => ({
        name: f.dataset.chart,
        marks: f.querySelectorAll('svg .mark-rect path, svg .mark-line path, '
                                  + 'svg .mark-symbol path, svg .mark-tick path').length,
        width: f.querySelector('svg') ? f.querySelector('svg').getBoundingClientRect().width : 0,
        png: f.querySelector('a').getAttribute('href')}))""")
    assert [c["name"] for c in charts] == ["pareto", "accuracy", "trend", "sar"]
    for chart in charts:
        assert chart["marks"] > 0 and chart["width"] > 200, chart
        assert chart["png"] == f"chart-{chart['name']}.png"


def test_run_page_lists_every_register_row_of_the_run(opened, week):
    _, result, _ = week
    rows = opened.js("""Object.fromEntries([...document.querySelectorAll('section.register')]
        .map(s => [s.dataset.run, s.querySelectorAll('tbody tr span.codes').length]))""")
    assert rows == {"PCE-01-43": 20, "PCE-03-41": 62, "IPR-3081": 1, "IPR-6489": 1}
    assert sum(rows.values()) == result.rejected


def test_register_rows_highlight_the_fields_their_codes_point_at(opened):
    marked = opened.js("""(() => { const out = {};
        for (const key of ['PCE-03-41:14', 'PCE-03-41:11', 'PCE-01-43:02', 'IPR-3081:T02',
                           'IPR-6489:A12', 'PCE-03-41:06']) {
          const cell = document.querySelector(`span.codes[data-codes~="${key}"]`);
          const row = cell.closest('tr');
          out[key] = [...row.querySelectorAll('.fld.hl')].map(f => f.dataset.field);
        }
        return out; })()""")
    assert marked == {"PCE-03-41:14": ["defect_code"], "PCE-03-41:11": ["sampled"],
                      "PCE-01-43:02": ["action"], "IPR-3081:T02": ["ssn"],
                      "IPR-6489:A12": ["hours_tenths", "volume", "reviewed", "errors"],
                      "PCE-03-41:06": ["org_code", "function_code", "program_code"]}
    meaning = opened.js("""document.querySelector('span.codes[data-codes~="IPR-3081:T02"]')
        .closest('tr').querySelector('ul.means').textContent""")
    assert meaning == "T02 SSN NOT ON EMPLOYEE MASTER"


def test_run_page_shows_ssns_masked_but_the_last_four(opened):
    shown = opened.js("""document.querySelector('span.codes[data-codes~="IPR-3081:T02"]')
        .closest('tr').querySelector('.fld.hl').textContent""")
    assert shown == "XXXXX7777"
    assert "999887777" not in opened.js("document.documentElement.outerHTML")


def test_code_and_deck_filters_hide_the_other_rows(opened):
    counted = opened.js("""(() => {
        const code = document.getElementById('filter-code');
        const deck = document.getElementById('filter-deck');
        const visible = () => [...document.querySelectorAll('span.codes')]
            .filter(c => c.closest('tr').style.display !== 'none').length;
        const out = {all: visible()};
        code.value = 'IPR-3081:T02'; code.dispatchEvent(new Event('change'));
        out.t02 = visible(); out.text = document.getElementById('filter-count').textContent;
        code.value = ''; deck.value = '01-defect-list-changes.dat';
        deck.dispatchEvent(new Event('change'));
        out.deck = visible();
        deck.value = ''; deck.dispatchEvent(new Event('change'));
        return out; })()""")
    assert counted == {"all": 84, "t02": 1, "text": "1 of 84 register rows shown", "deck": 20}


def test_run_page_links_every_printed_listing_that_exists(opened, week):
    _, result, page = week
    links = opened.js("[...document.querySelectorAll('ul.listings a')]"
                      ".map(a => a.getAttribute('href'))")
    listed = sorted(p.name for p in result.run_dir.glob("*.txt"))
    assert [h for h in links if h.endswith(".txt")] == listed
    assert all((page.parent / h).is_file() for h in links)
    assert "pce-03-41.txt" in links and "pce-03-41.parquet" in links


def test_run_page_and_chart_pngs_are_owner_only(week):
    _, result, page = week
    for path in [page, *sorted(result.run_dir.glob("chart-*.png"))]:
        assert path.stat().st_mode & 0o777 == 0o600, path
    assert len(list(result.run_dir.glob("chart-*.png"))) == 4


def test_condition_code_and_step_codes_are_on_the_page(opened):
    assert opened.js("document.getElementById('condition-code').textContent") == (
        "Condition code 8: a deck was refused (nothing of it posted)")
    steps = opened.js("""[...document.querySelectorAll('#steps + div tbody tr, #steps + table '
        + 'tbody tr')].map(r => [...r.cells].slice(0, 3).map(c => c.textContent.trim()))""")
    assert steps == [["deck control", "-", "8"], ["run 01: Forms 3927", "PCE-01-43", "4"],
                     ["run 03: Forms 3926/3926-A", "PCE-03-41", "4"],
                     ["individual data: Forms 3081", "IPR-3081", "4"],
                     ["individual data: Forms 6489", "IPR-6489", "4"]]


def test_register_entries_on_the_page_are_this_runs_only(week):
    data, result, _ = week
    entries = run_page.facts(data, result.run_id, result.generation).register
    assert entries["run_id"].unique().to_list() == [result.run_id]
    assert entries.group_by("run").len().sort("run").rows() == sorted(
        [("IPR-3081", 1), ("IPR-6489", 1), ("PCE-01-43", 20), ("PCE-03-41", 62)])
    assert pl.Series(entries["status"]).unique().to_list() == ["open"]
