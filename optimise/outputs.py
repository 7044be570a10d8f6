"""Writing a result folder: ``summary.json``, the solution tables (CSV and Parquet) and the
layers (one GeoPackage, a layer per table with geometry). The folder is assembled aside
and swapped in whole (see :func:`optimise.files.atomic_folder`)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from optimise.files import MARKER, atomic_folder, to_json
from optimise.problem import Result


def write_result(result: Result, out: Path, summary: dict[str, Any] | None = None, impact: Any = None,
                 figures: dict[str, Any] | None = None, extra_tables: dict[str, Any] | None = None,
                 page: Any = None, background: list[Any] | None = None) -> list[Path]:
    """Write ``result`` to folder ``out`` (with its figures as PNG, any extra tables, e.g.
    alternatives, and ``page``, an ``optimise.webreport.ReportPage``, as report.html; the flag
    maps drawn on ``background``, the instance's context layers);
    ``summary`` is what summary.json says (default: the result's own figures). Return the
    files written (final paths)."""
    summary = dict(summary if summary is not None else result.to_dict())
    written: list[str] = []
    with atomic_folder(out) as tmp:
        for name, table in (extra_tables or {}).items():
            table.to_csv(tmp / f"{name}.csv", index=False)
            written.append(f"{name}.csv")
        written += save_figures(tmp, figures or {})
        for name, table in result.tables.items():
            table.to_csv(tmp / f"{name}.csv", index=False)
            table.to_parquet(tmp / f"{name}.parquet", index=False)
            written += [f"{name}.csv", f"{name}.parquet"]
        if result.layers:
            gpkg = tmp / "layers.gpkg"
            for name, layer in result.layers.items():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    layer.to_file(gpkg, layer=name, driver="GPKG", engine="pyogrio")
            written.append("layers.gpkg")
        if impact is not None:
            from optimise.report import write_impact_files

            written += write_impact_files(tmp, impact, {}, None, background)
        text = explanation_markdown(summary)
        if text:
            (tmp / "explanation.md").write_text(text, encoding="utf-8")
            written.append("explanation.md")
        if page is not None:
            from optimise.webreport import write_report

            written.append(write_report(tmp, page))
        summary["files"] = sorted(written + [MARKER])
        # summary.json last: its presence marks a complete result folder.
        (tmp / MARKER).write_text(to_json(summary) + "\n", encoding="utf-8")
        written.append(MARKER)
    return [out / name for name in written]


def save_figures(folder: Path, figures: dict[str, Any]) -> list[str]:
    """Save matplotlib figures as ``NAME.png`` in ``folder`` and close them."""
    import matplotlib.pyplot as plt

    names = []
    for name, fig in figures.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fig.savefig(folder / f"{name}.png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        names.append(f"{name}.png")
    return names


def explanation_markdown(summary: dict[str, Any]) -> str:
    """The rules that conflict (no plan) or bind (a plan), as a short Markdown report."""
    lines = []
    if summary.get("explanation"):
        lines += ["# Why no plan exists", "", "The least-violation version of the model has to break these rules:", ""]
        lines += [f"- {text}" for text in summary["explanation"]]
    if summary.get("binding"):
        lines += ["# Rules that bind in the plan", "",
                  "Marginal values from the LP with the plan's yes/no decisions fixed (valid for small changes); "
                  "resources used up to within 1 % of their limit.", ""]
        lines += [f"- {row['text']}" for row in summary["binding"]]
    return "\n".join(lines) + "\n" if lines else ""


def write_no_plan(out: Path, summary: dict[str, Any]) -> list[Path]:
    """A result folder for a run without a plan: summary.json (status, explanation) and
    explanation.md, written atomically like any other."""
    summary = dict(summary)
    with atomic_folder(out) as tmp:
        names = [MARKER]
        text = explanation_markdown(summary)
        if text:
            (tmp / "explanation.md").write_text(text, encoding="utf-8")
            names.append("explanation.md")
        summary["files"] = sorted(names)
        (tmp / MARKER).write_text(to_json(summary) + "\n", encoding="utf-8")
    return [out / name for name in names]


def write_front(out: Path, front: Any, problem: Any, summary: dict[str, Any]) -> None:
    """A Pareto front's folder: pareto.csv, pareto.png and summary.json, atomically."""
    from optimise.plots import pareto_plot

    from optimise.webreport import front_page, write_report

    summary = dict(summary)
    with atomic_folder(out) as tmp:
        front.table.to_csv(tmp / "pareto.csv", index=False)
        files = ["pareto.csv"] + save_figures(tmp, {"pareto": pareto_plot(front, problem.objectives)})
        files.append(write_report(tmp, front_page(front, problem, summary)))
        summary["files"] = sorted(files + [MARKER])
        (tmp / MARKER).write_text(to_json(summary) + "\n", encoding="utf-8")


def write_figure_into(folder: Path, name: str, figure: Any) -> Path:
    """Add ``NAME.png`` to an existing folder: drawn aside, then renamed into place."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory(prefix=f".{name}.", dir=folder) as tmp:
        save_figures(Path(tmp), {name: figure})
        os.replace(Path(tmp) / f"{name}.png", folder / f"{name}.png")
    return folder / f"{name}.png"
