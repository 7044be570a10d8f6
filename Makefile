# The two commands: `make demo` and `make test`. Each creates .venv/ (Python 3.11+) when it
# is missing and installs there the exact versions in requirements.lock (hash-checked), then
# the project itself, editable. `make lock` refreshes the lock; `make test-latest` runs the
# suite on the newest releases pyproject.toml allows, in a separate .venv-latest/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
LATEST := .venv-latest
# uv writes the lock (a universal resolution: every platform, Python 3.11 and newer); plain pip
# installs it, so a user's machine needs nothing but Python.
UV_VERSION := 0.13.9
# Key packages whose versions are printed after an install (the note of a run names them).
KEY_PACKAGES := pyomo highspy pandas geopandas numpy scipy dask distributed shapely pyogrio

.PHONY: demo test bench install lock test-latest versions clean chromium notebooks

# The project is byte-compiled as pip does an installed package (an editable one it leaves as
# source): where Python may not write bytecode, every run would otherwise compile it again.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	$(BIN)/python -m compileall -q optimise problems
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/optimise solve instances/zuidas-hubs --out out/demo

test: $(STAMP) chromium
	$(BIN)/python -m pytest -n 2 -q

# The browser tests drive Debian's chromium (through Playwright): installed from Debian's
# packages when missing (as root, or with sudo). OPTIMISE_CHROMIUM may name another binary.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@[ -n "$$OPTIMISE_CHROMIUM" ] || command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# Jupyter for the notebooks, in .venv: JupyterLab is not part of the lock (the tests execute
# the notebooks with nbclient), so this installs the newest release pyproject.toml allows.
notebooks: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[notebooks]'
	$(BIN)/jupyter lab --ip 127.0.0.1 --notebook-dir notebooks

bench: $(STAMP)
	$(BIN)/python benchmarks/orlib.py

versions: $(STAMP)
	@$(BIN)/python -c "import importlib.metadata as m; print(' '.join(f'{p}=={m.version(p)}' for p in '$(KEY_PACKAGES)'.split()))"

# Refresh the lock: the newest releases pyproject.toml allows, plus the build backend.
# Run it when pyproject.toml's dependencies change, or when `make test-latest` is green on
# newer releases that we want; then `make test` and commit requirements.lock with the result.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(BIN)/python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['build-system']['requires']))" \
	  | $(BIN)/uv pip compile pyproject.toml - --extra dev --universal --python-version 3.11 --upgrade \
	      --generate-hashes --no-emit-index-url --no-emit-find-links --quiet -o $(LOCK)
	rm -f $(STAMP)

# The canary: a fresh environment with the newest releases that pyproject.toml allows (not the
# lock), then the whole suite. Green here and red there means a release broke nothing; red
# here means the next `make lock` would break a fresh install: fix it before users meet it.
test-latest: chromium
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[dev]'
	@$(LATEST)/bin/python -c "import importlib.metadata as m; print('newest releases:', ' '.join(f'{p}=={m.version(p)}' for p in '$(KEY_PACKAGES)'.split()))"
	$(LATEST)/bin/python -m pytest -n 2 -q -p no:cacheprovider

clean:
	rm -rf out .pytest_cache
