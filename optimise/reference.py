"""The reference of instance formats, as Markdown: each problem's parameters, objective
terms and data files, and the vital-systems layers (``optimise describe``, docs/instances.md)."""

from __future__ import annotations

from typing import Any


def describe_markdown(cls: Any) -> str:
    """The reference of one problem's instance format, as Markdown."""
    lines = [f"### `{cls.name}`: {cls.title}", ""]
    if cls.parameters:
        lines += ["Parameters (`[parameters]`):", "", "| name | type | unit | required | meaning |", "|---|---|---|---|---|"]
        lines += [p.doc_row() for p in cls.parameters.values()]
        lines.append("")
    if cls.objectives:
        lines += ["Objective terms (`optimise pareto --x NAME --y NAME`):", "", "| name | sense | unit | meaning |",
                  "|---|---|---|---|"]
        lines += [f"| `{t.name}` | {t.sense} | {t.unit} | {t.description} |" for t in cls.objectives.values()]
        lines.append("")
    return "\n".join(lines + [_tables_markdown(cls.tables)])


def vital_markdown() -> str:
    """The reference of the vital-systems layers and the scenario file, as Markdown."""
    from optimise.scenarios import CHANGES
    from optimise.vital import ASSETS, DEPENDENCIES, SYSTEMS

    return _tables_markdown({"assets": ASSETS, "dependencies": DEPENDENCIES, "systems": SYSTEMS}) + (
        "\nScenario file as CSV (`optimise impact --scenario FILE.csv`):\n\n"
        + _tables_markdown({"changes": CHANGES}, in_instance=False)
    )


def _tables_markdown(tables: dict[str, Any], in_instance: bool = True) -> str:
    lines: list[str] = []
    for key, schema in tables.items():
        geometry = {"none": "", "optional": " Geometry: a geometry column (GeoJSON, GeoPackage) or `x`/`y` columns."}
        where = f" (`[data] {key} = \"FILE\"`)" if in_instance else ""
        lines += [f"Data file `{key}`{where}: {schema.description}{geometry.get(schema.geometry, '')}", "",
                  "| column | type | unit | required | allowed | meaning |", "|---|---|---|---|---|---|"]
        lines += [c.doc_row() for c in schema.columns]
        lines.append("")
    return "\n".join(lines)
