"""The what-if app, timed as a planner uses it: from a click on "Solve" to the new plan on the map.

    .venv/bin/python benchmarks/app.py [--instance instances/zuidas-hubs] [--repeat 3]

Starts the app (in this process, on a free port of 127.0.0.1), opens it in headless Chromium,
waits for the first plan, then per round forbids an open hub with a click on the map, clicks
"Solve" and times until the map shows the new plan (the status names it and the forbidden
site is drawn in red); beside it the solver's own seconds from the run's summary. Prints and
writes benchmarks/results/app.md.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import threading
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hubs import ROOT, publish  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def main() -> int:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from optimise.app import WhatIf, build_app

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instance", type=Path, default=ROOT / "instances" / "zuidas-hubs")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "app.md")
    args = parser.parse_args()
    whatif = WhatIf(args.instance)
    whatif.start_solve()
    server = make_server("127.0.0.1", 0, build_app(whatif).server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    lines = [f"# The what-if app on {args.instance.name} ({platform.node()}, Python {platform.python_version()})", "",
             "| round | site forbidden | click to plan on the map, s | solve process, s | of it HiGHS, s | status |",
             "|---|---|---|---|---|---|"]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium") or "chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"http://127.0.0.1:{server.server_port}/")
            page.wait_for_function("document.querySelector('#status') !== null && "
                                   "/plan 1: (optimal|feasible)/.test(document.querySelector('#status').innerText)",
                                   timeout=300_000)
            for round_ in range(1, args.repeat + 1):
                hubs = pd.read_csv(whatif.plans()[-1].out / "hubs.csv")
                site = str(hubs.loc[hubs["open"].astype(bool), "id"].iloc[0])
                page.wait_for_timeout(1500)  # the map draws the plan once more as the page settles
                x, y = page.evaluate(f"(() => {{ const m = window.optimiseApp.features[{site!r}];"
                                     " m._map.setView(m.getLatLng(), 17, {animate: false});"
                                     " const p = m._map.latLngToContainerPoint(m.getLatLng());"
                                     " const box = m._map.getContainer().getBoundingClientRect();"
                                     " return [box.left + p.x, box.top + p.y]; })()")
                page.mouse.click(x, y)
                page.wait_for_function(f"document.querySelector('#whatif').innerText.includes('{site}')")
                start = time.perf_counter()
                page.click("#solve")
                number = round_ + 1
                page.wait_for_function(
                    f"/plan {number}: /.test(document.querySelector('#status').innerText) && "
                    f"window.optimiseApp.features[{site!r}].options.color === '#d62728'", timeout=300_000)
                seconds = time.perf_counter() - start
                solve = whatif.solves[-1]
                lines.append(f"| {round_} | {site} | {seconds:.1f} | {solve.seconds:.1f} | "
                             f"{solve.summary.get('solve_seconds', float('nan')):.1f} | {solve.summary.get('status')} |")
            browser.close()
    finally:
        server.shutdown()
        whatif.close()
    publish(lines, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
