"""Writing a result folder: ``summary.json``, the solution tables (CSV and Parquet) and the
layers (one GeoPackage, a layer per table with geometry). The folder is assembled aside
and swapped in whole (see :func:`optimise.io.atomic_folder`)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from optimise.io import MARKER, atomic_folder, to_json
from optimise.problem import Result


def write_result(result: Result, out: Path, impact: Any = None, figures: dict[str, Any] | None = None,
                 extra_tables: dict[str, Any] | None = None) -> list[Path]:
    """Write ``result`` to folder ``out`` (with its figures as PNG and any extra tables, e.g.
    alternatives); return the files written (final paths)."""
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
            from optimise.impact import write_impact_files

            written += write_impact_files(tmp, impact, {}, None)
        summary = result.to_dict()
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
