"""optimise: optimisation and decision support for a city's vital systems.

Importing the package first turns off two of Pyomo's post-import hooks: when scipy or
matplotlib is imported after Pyomo, Pyomo imports scipy.stats, scipy.integrate and
scipy.spatial, and matplotlib.pyplot and pylab, with it (about 0.9 s of every run's start,
for modules the engine imports itself where it needs them). Pyomo's numpy hook, which
registers numpy's number types with Pyomo, stays.
"""

from __future__ import annotations


def _skip_pyomo_import_hooks() -> None:
    try:
        from pyomo.common import dependencies
    except ImportError:  # pragma: no cover - pyomo is a dependency
        return
    for name in ("scipy_available", "matplotlib_available"):
        flag = getattr(dependencies, name, None)
        # a private attribute of Pyomo's DeferredImportIndicator: when a release renames it,
        # nothing changes but the start-up time
        if flag is not None and hasattr(flag, "_callback"):
            flag._callback = None


_skip_pyomo_import_hooks()
