"""Screenshots for the README and docs: docs/report-quays.png, docs/report-hubs.png, docs/app-zuidas.png.

    .venv/bin/python docs/make_screenshots.py

Solves the small quay instance and Zuidas hubs into a temporary folder, opens each
report.html in headless Chromium (Debian's chromium through Playwright, as the browser tests
do) and saves the top of the page: headline figures and the map. Then starts the what-if app
on Zuidas, forbids the first open hub with a click, solves again and saves the page with the
two plans compared.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OPTIMISE = Path(sys.executable).parent / "optimise"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
CASES = {"report-quays.png": ("instances/amsterdam-quays-small", "2030"), "report-hubs.png": ("instances/zuidas-hubs", None)}


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "chromium", args=ARGS)
        for name, (instance, period) in CASES.items():
            out = Path(tmp) / name
            subprocess.run([str(OPTIMISE), "solve", instance, "--out", str(out)], cwd=ROOT, check=True,
                           capture_output=True)
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            page.goto((out / "report.html").as_uri())
            page.wait_for_function("window.optimiseMap !== undefined")
            if period:
                page.select_option("#optimise-period", period)
            page.wait_for_timeout(500)
            page.screenshot(path=str(ROOT / "docs" / name))
            page.close()
            print(f"wrote docs/{name}")
        app_screenshot(browser, Path(tmp) / "app")
        browser.close()


def app_screenshot(browser, workdir: Path) -> None:
    import pandas as pd
    from werkzeug.serving import make_server

    from optimise.app import WhatIf, build_app

    whatif = WhatIf(ROOT / "instances" / "zuidas-hubs", workdir=workdir)
    whatif.start_solve()
    server = make_server("127.0.0.1", 0, build_app(whatif).server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"http://127.0.0.1:{server.server_port}/")
        page.wait_for_function("document.querySelector('#status') !== null && "
                               "/plan 1: optimal/.test(document.querySelector('#status').innerText)", timeout=300_000)
        hubs = pd.read_csv(whatif.plans()[-1].out / "hubs.csv")
        site = str(hubs.loc[hubs["open"].astype(bool), "id"].iloc[0])
        page.wait_for_timeout(1500)
        x, y = page.evaluate(f"(() => {{ const m = window.optimiseApp.features[{site!r}];"
                             " const p = m._map.latLngToContainerPoint(m.getLatLng());"
                             " const box = m._map.getContainer().getBoundingClientRect();"
                             " return [box.left + p.x, box.top + p.y]; })()")
        page.mouse.click(x, y)
        page.wait_for_function(f"document.querySelector('#whatif').innerText.includes('{site}')")
        page.click("#solve")
        page.wait_for_function("/plan 2: optimal/.test(document.querySelector('#status').innerText)", timeout=300_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ROOT / "docs" / "app-zuidas.png"))
        print("wrote docs/app-zuidas.png")
    finally:
        server.shutdown()
        whatif.close()


if __name__ == "__main__":
    main()
