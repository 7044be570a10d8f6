"""The what-if app in a real browser: the plan shows on the map; forbidding a hub site with a
click and solving again changes the plan, compared side by side; the what-if downloads as a
variants file; what the browser sends is checked."""

from __future__ import annotations

import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from optimise.app import WhatIf, build_app
from optimise.errors import InputError
from tests.conftest import DATA


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[WhatIf, str]]:
    from werkzeug.serving import make_server

    whatif = WhatIf(DATA / "small-hubs", workdir=tmp_path / "app")
    whatif.start_solve()
    server = make_server("127.0.0.1", 0, build_app(whatif).server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield whatif, f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    whatif.close()


def _wait_for_plan(page: Any, number: int) -> None:
    page.wait_for_function(f"document.querySelector('#status') && "
                           f"/plan {number}: (optimal|feasible)/.test(document.querySelector('#status').innerText)",
                           timeout=90_000)


def _click_feature(page: Any, ident: str, zoom: int) -> None:
    """A real mouse click on the map feature with this id (centred at ``zoom`` first)."""
    x, y = page.evaluate(f"(() => {{ const m = window.optimiseApp.features[{ident!r}];"
                         f" m._map.setView(m.getLatLng(), {zoom}, {{animate: false}});"
                         " const p = m._map.latLngToContainerPoint(m.getLatLng());"
                         " const box = m._map.getContainer().getBoundingClientRect();"
                         " return [box.left + p.x, box.top + p.y]; })()")
    page.mouse.click(x, y)


def test_forbid_a_site_and_solve_again(served: tuple[WhatIf, str], page, tmp_path: Path) -> None:
    whatif, url = served
    page.page.goto(url)
    _wait_for_plan(page.page, 1)
    hubs = pd.read_csv(whatif.plans()[-1].out / "hubs.csv")
    site = str(hubs.loc[hubs["open"].astype(bool), "id"].iloc[0])
    page.page.wait_for_function(f"window.optimiseApp.features[{site!r}] !== undefined")
    page.page.wait_for_timeout(1500)  # the map draws the plan once more as the page settles
    _click_feature(page.page, site, 17)
    page.page.wait_for_function(f"document.querySelector('#whatif').innerText.includes('{site}')")
    assert "sites.forbidden" in page.page.inner_text("#whatif")
    page.page.click("#solve")
    _wait_for_plan(page.page, 2)
    after = pd.read_csv(whatif.plans()[-1].out / "hubs.csv")
    assert not bool(after.loc[after["id"].astype(str) == site, "open"].iloc[0])  # the plan changed
    table = page.page.inner_text("#compare-table")
    assert "plan 1" in table and "plan 2" in table
    with page.page.expect_download() as download:
        page.page.click("#get-variants")
    variants = tomllib.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert variants["variant"][0]["sites.forbidden"] == {site: True}
    page.page.screenshot(path=str(tmp_path / "app.png"))
    assert page.errors == [] and page.outside == []


def test_what_the_browser_sends_is_checked(tmp_path: Path) -> None:
    whatif = WhatIf(DATA / "small-hubs", workdir=tmp_path / "app")
    with pytest.raises(InputError, match="unknown site"):
        whatif.click_site("../../etc/passwd")
    with pytest.raises(InputError, match="unknown parameter"):
        whatif.set_parameter("__import__('os')", 1)
    with pytest.raises(InputError, match="expected a number"):
        whatif.set_parameter("budget", "rm -rf /")
    with pytest.raises(InputError):
        whatif.set_parameter("budget", -5)
    with pytest.raises(InputError, match="not a valid polygon"):
        whatif.set_areas({"features": [{"geometry": {"type": "Point", "coordinates": [4.9, 52.3]}}]})
    with pytest.raises(InputError, match="not a geometry"):
        whatif.set_areas({"features": [{"geometry": "DROP TABLE"}]})
    whatif.set_parameter("budget", 800000)
    site = sorted(whatif.site_ids)[0]
    assert whatif.click_site(site) == "forbidden" and whatif.click_site(site) == "fixed"
    assert whatif.overrides() == {"budget": 800000.0, "sites.fixed": {site: True}}
    assert whatif.click_site(site) == "" and "sites.fixed" not in whatif.overrides()


def test_stop_ends_the_solve_and_keeps_no_half_plan(tmp_path: Path) -> None:
    import time

    from tests.conftest import ROOT

    whatif = WhatIf(ROOT / "instances" / "zuidas-hubs", workdir=tmp_path / "app")
    try:
        solve = whatif.start_solve()
        time.sleep(1.0)
        whatif.stop()
        deadline = time.time() + 30
        while whatif.poll().running and time.time() < deadline:
            time.sleep(0.1)
        assert solve.summary == {"status": "stopped"}
        assert whatif.plans() == [] and not (solve.out / "summary.json").exists()
    finally:
        whatif.close()


def test_a_drawn_polygon_becomes_a_claimed_area(served: tuple[WhatIf, str], page) -> None:
    whatif, url = served
    page.page.goto(url)
    _wait_for_plan(page.page, 1)
    page.page.wait_for_timeout(1500)
    box = page.page.locator("#map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.page.click(".leaflet-draw-draw-polygon")
    corners = [(cx - 60, cy - 60), (cx + 60, cy - 60), (cx + 60, cy + 60), (cx - 60, cy + 60)]
    for x, y in corners + corners[:1]:  # back on the first corner closes the polygon
        page.page.mouse.click(x, y)
        page.page.wait_for_timeout(150)
    page.page.wait_for_function("document.querySelector('#whatif').innerText.includes('area(s) drawn')")
    rows = whatif.overrides()["conflicts+"]
    assert len(rows) == 1 and rows[0]["geometry"].startswith("POLYGON") and rows[0]["crs"] == "EPSG:4326"
    page.page.click("#solve")
    _wait_for_plan(page.page, 2)  # the instance with the drawn area solves through the command line
    assert page.errors == [] and page.outside == []


def test_close_a_bridge_in_a_year_and_solve_again(tmp_path: Path, page) -> None:
    """Quays: a click on a bridge closes it (starts its renewal) in the year chosen; the new
    plan renews it then."""
    from werkzeug.serving import make_server

    from tests.conftest import ROOT

    whatif = WhatIf(ROOT / "instances" / "amsterdam-quays-small", workdir=tmp_path / "app")
    whatif.start_solve()
    server = make_server("127.0.0.1", 0, build_app(whatif).server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page.page.goto(f"http://127.0.0.1:{server.server_port}/")
        _wait_for_plan(page.page, 1)
        before = pd.read_csv(whatif.plans()[-1].out / "schedule.csv").set_index("id")
        work = "BR-0213"  # Zandbrug: not due, renewed in 2030 by the first plan
        assert before.loc[work, "start"] != 2027
        # the cascade check's knock-on flags are on the map, as rings in their colours
        page.page.wait_for_function("document.querySelectorAll('path[stroke=\"#ff7f0e\"]').length > 0")
        page.page.wait_for_timeout(1500)
        _click_feature(page.page, work, 18)  # the year chosen is the first, 2027
        page.page.wait_for_function(f"document.querySelector('#whatif').innerText.includes('{work}')")
        assert whatif.overrides() == {"works.start": {work: 2027}}
        page.page.click("#solve")
        _wait_for_plan(page.page, 2)
        after = pd.read_csv(whatif.plans()[-1].out / "schedule.csv").set_index("id")
        assert after.loc[work, "start"] == 2027
        assert page.errors == [] and page.outside == []
    finally:
        server.shutdown()
        whatif.close()
