"""report.html opens from the file in a real browser (headless Chromium), with no network:
no console errors, the plan's layers and flags on the map, the period list switches the
year shown, the charts drawn; a screenshot is written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from optimise.webreport import WORKS_GROUP, MapLayer, ReportPage, format_value, render
from tests.conftest import ROOT, run_cli


def _solved_report(tmp_path_factory: pytest.TempPathFactory, instance: str) -> Path:
    out = tmp_path_factory.mktemp(instance) / "out"
    run = run_cli("solve", ROOT / "instances" / instance, "--out", out)
    assert run.code == 0, run.stderr
    return out / "report.html"


@pytest.fixture(scope="module")
def quay_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _solved_report(tmp_path_factory, "amsterdam-quays-small")


@pytest.fixture(scope="module")
def hub_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _solved_report(tmp_path_factory, "pijp-hubs")


def test_the_report_loads_nothing_from_the_network(quay_report: Path) -> None:
    text = quay_report.read_text(encoding="utf-8")
    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="https?://', text)
    assert "L.map(" in text and "Plotly" in text  # both libraries inlined


def test_quay_report_in_the_browser(quay_report: Path, page, tmp_path: Path) -> None:
    page.page.goto(quay_report.as_uri())
    page.page.wait_for_function("window.optimiseMap !== undefined")
    layers = page.page.evaluate("window.optimiseMap.layers.map(l => [l.group, l.period])")
    groups = {g for g, _ in layers}
    assert "works under way" in groups and any(g.startswith("flags: ") for g in groups)
    assert "streets (OpenStreetMap)" in groups  # the instance's own streets underneath, offline
    periods = page.page.eval_on_selector_all("#optimise-period option", "os => os.map(o => o.value)")
    assert periods[:2] == ["2027", "2028"]

    def shown() -> set[str]:
        return set(page.page.evaluate(
            "window.optimiseMap.layers.filter(l => window.optimiseMap.map.hasLayer(l.layer)).map(l => l.period)"))

    assert shown() - {None} == {"2027"}
    page.page.select_option("#optimise-period", "2030")
    assert shown() - {None} == {"2030"}
    # unticking a group takes its layers off the map
    page.page.uncheck('input[data-group="works under way"]')
    assert not page.page.evaluate("window.optimiseMap.layers.filter(l => l.group === 'works under way' "
                                  "&& window.optimiseMap.map.hasLayer(l.layer)).length")
    assert page.page.locator(".leaflet-interactive").count() > 0
    assert page.page.locator("#chart-0 .main-svg").count() > 0  # the Gantt chart drew
    assert "Muntplein" in page.page.content()
    shot = tmp_path / "report.png"
    page.page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000
    assert page.errors == [] and page.outside == []


def test_hub_report_shows_hubs_with_popups(hub_report: Path, page) -> None:
    page.page.goto(hub_report.as_uri())
    page.page.wait_for_function("window.optimiseMap !== undefined")
    assert page.page.eval_on_selector_all("#optimise-period option", "os => os.length") == 0  # one period
    hubs = page.page.evaluate("window.optimiseMap.layers.filter(l => l.group === 'hubs')"
                              ".map(l => l.layer.getLayers().length)")
    assert hubs and min(hubs) > 0  # a layer per size class that has hubs
    # clicking a hub opens its popup with its figures
    x, y = page.page.evaluate("(() => { const m = window.optimiseMap.map;"
                              " const hub = window.optimiseMap.layers.find(l => l.group === 'hubs').layer.getLayers()[0];"
                              " m.setView(hub.getLatLng(), 17, {animate: false});"
                              " const p = m.latLngToContainerPoint(hub.getLatLng());"
                              " const box = m.getContainer().getBoundingClientRect();"
                              " return [box.left + p.x, box.top + p.y]; })()")
    page.page.mouse.click(x, y)
    popup = page.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "footprint" in popup.inner_text()
    assert page.errors == [] and page.outside == []


def test_format_value_reads_as_a_planner_writes() -> None:
    assert format_value(3211000.0) == "3,211,000"
    assert format_value(2027.0, "start") == "2027"
    assert format_value(float("nan")) == ""
    assert format_value(True) == "yes"
    assert format_value(0.8386) == "0.839"
    assert format_value(12.345) == "12.35"


def test_a_page_without_geometry_has_no_map_and_still_renders() -> None:
    import pandas as pd

    text = render(ReportPage("no map", tables={"t": (pd.DataFrame({"a": [1, 2]}), "t.csv")}))
    assert "class=\"folium-map\"" not in text and "optimiseMap" not in text and "L.map(" not in text
    assert "<td class=\"num\">2</td>" in text
    layer = MapLayer("x", None, "g")
    assert "optimiseMap" not in render(ReportPage("still none", layers=[layer]))


def _opens_clean(page, report: Path) -> None:
    page.page.goto(report.as_uri())
    page.page.wait_for_load_state("load")
    assert page.errors == [] and page.outside == [], (page.errors, page.outside)


def test_impact_report_shows_flags_per_period_and_system(tmp_path: Path, page) -> None:
    out = tmp_path / "impact"
    base = ROOT / "instances" / "amsterdam-base"
    run = run_cli("impact", base, "--scenario", base / "scenario-bridges.toml", "--no-resilience", "--out", out)
    assert run.code == 0, run.stderr
    _opens_clean(page, out / "report.html")
    page.page.wait_for_function("window.optimiseMap !== undefined")
    groups = set(page.page.evaluate("window.optimiseMap.layers.map(l => l.group)"))
    assert WORKS_GROUP in groups and {g for g in groups if g.startswith("flags: ")}
    # the closed bridges are the scenario's own change, not a knock-on
    knock_on = page.page.evaluate("window.optimiseMap.layers.filter(l => l.group.startsWith('flags: '))"
                                  ".flatMap(l => l.layer.getLayers().map(f => f.feature.properties.asset))")
    assert knock_on and "BR-0001" not in knock_on
    periods = page.page.eval_on_selector_all("#optimise-period option", "os => os.map(o => o.value)")
    assert len(periods) >= 2  # the bridge scenario's years, one at a time


def test_pareto_and_batch_reports_draw_their_charts(tmp_path: Path, page) -> None:
    from tests.conftest import DATA

    hubs = DATA / "small-hubs"
    run = run_cli("pareto", hubs, "--x", "walk", "--y", "space_won", "--points", "3", "--out", tmp_path / "front")
    assert run.code == 0, run.stderr
    _opens_clean(page, tmp_path / "front" / "report.html")
    assert page.page.locator("#chart-0 .scatterlayer .point").count() >= 2
    variants = tmp_path / "variants.toml"
    variants.write_text("[grid]\nbudget = [500000, 700000]\n", encoding="utf-8")
    assert run_cli("batch", hubs, variants, "--out", tmp_path / "batch", "--workers", "1").code == 0
    assert run_cli("compare", tmp_path / "batch").code == 0
    _opens_clean(page, tmp_path / "batch" / "report.html")
    assert page.page.locator("#chart-0 .barlayer .point").count() >= 2
    assert (tmp_path / "batch" / "variants").exists()


def test_templates_are_compiled_once_while_a_report_renders() -> None:
    """Inside the block a template source is compiled once and serves every element with its
    own values; outside it Jinja compiles as before."""
    import jinja2

    from optimise.webreport import templates_compiled_once

    original = jinja2.Environment.from_string
    with templates_compiled_once():
        first, second = jinja2.Template("<b>{{ this }}</b>"), jinja2.Template("<b>{{ this }}</b>")
        assert first is second
        assert first.render(this="a") == "<b>a</b>" and second.render(this="b") == "<b>b</b>"
        assert jinja2.Template("<i>{{ this }}</i>") is not first
    assert jinja2.Environment.from_string is original
    assert jinja2.Template("<b>{{ this }}</b>") is not first
