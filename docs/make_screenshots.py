"""Screenshots of report.html for the README and docs: docs/report-quays.png, docs/report-hubs.png.

    .venv/bin/python docs/make_screenshots.py

Solves the small quay instance and Zuidas hubs into a temporary folder, opens each
report.html in headless Chromium (Debian's chromium through Playwright, as the browser tests
do) and saves the top of the page: headline figures and the map.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
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
        browser.close()


if __name__ == "__main__":
    main()
