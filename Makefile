# Two commands set everything up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check
SOURCES := pkiadmin tests benchmarks scripts

.PHONY: run test test-fast check lint typecheck contracts pytest system-deps benchmark lock clean bundle wheelhouse frozen

# Byte-compiled first: where PYTHONDONTWRITEBYTECODE is set, Python would otherwise compile
# every module from source at each start (up to half a second of it).
run: $(VENV)/.app-installed
	$(BIN)/python -m compileall -q pkiadmin
	$(BIN)/pkiadmin

test: $(VENV)/.dev-installed
	$(MAKE) --no-print-directory check

# Every check that CI runs.
check: lint typecheck contracts pytest

# The development loop: every check and every test but those marked slow (the PyInstaller
# build, the offline bundle installed without a network, the wheel, the kill -9 sample).
test-fast: $(VENV)/.dev-installed
	$(MAKE) --no-print-directory lint typecheck contracts
	PKIADMIN_TEST_WITHOUT_QT=1 $(BIN)/pytest -p no:pytest-qt -m "not slow" tests/core tests/cli tests/interop
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -m "not slow" tests/gui

lint:
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)

typecheck:
	$(BIN)/mypy

contracts:
	$(BIN)/lint-imports

# Qt-free layers run first with PySide6 made unimportable (as if not installed),
# then the GUI tests offscreen.
pytest:
	PKIADMIN_TEST_WITHOUT_QT=1 $(BIN)/pytest -p no:pytest-qt tests/core tests/cli tests/interop
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest tests/gui

benchmark: $(VENV)/.app-installed
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/cli_startup.py
	$(BIN)/python benchmarks/crl_100k.py
	$(BIN)/python benchmarks/inventory.py
	$(BIN)/python benchmarks/pkits.py
	$(BIN)/python benchmarks/faults.py
	$(BIN)/python benchmarks/batch_sign.py
	$(BIN)/python benchmarks/bundle_stream.py
	$(BIN)/python benchmarks/bundle_with_ca.py
	$(BIN)/python benchmarks/der_folder.py
	$(BIN)/python benchmarks/ocsp_sign.py
	$(BIN)/python benchmarks/sign_csr.py

system-deps:
	./packaging/install-system-deps.sh

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV) || { ./packaging/install-system-deps.sh && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }

$(VENV)/.app-installed: $(VENV)/bin/python requirements/app.txt pyproject.toml packaging/system-packages.txt
	./packaging/install-system-deps.sh
	$(PIP) install -q --require-hashes -r requirements/app.txt
	$(PIP) install -q --no-deps --no-build-isolation -e .
	$(BIN)/python -m compileall -q pkiadmin
	touch $@

$(VENV)/.dev-installed: $(VENV)/.app-installed requirements/dev.txt build/wheelhouse/.complete
	$(PIP) install -q --require-hashes -r requirements/dev.txt
	touch $@

# The wheels the offline bundle carries, fetched (hash-checked) by the set-up step so that
# building the bundle, and the test that installs it, never reach a registry.
wheelhouse: build/wheelhouse/.complete
build/wheelhouse/.complete: requirements/app.txt $(VENV)/bin/python
	$(PIP) download -q --require-hashes -r requirements/app.txt -d build/wheelhouse
	touch $@

# The offline installation bundle (folder + tar.gz under dist/); BUNDLE_OPTS=--with-debs adds .debs.
bundle: $(VENV)/.app-installed build/wheelhouse/.complete
	$(BIN)/python packaging/bundle.py $(BUNDLE_OPTS)

# The PyInstaller one-folder build (dist/frozen/pkiadmin/: pkiadmin and pkiadmin-cli).
frozen: $(VENV)/.app-installed requirements/freeze.txt
	$(PIP) install -q --require-hashes -r requirements/freeze.txt
	$(BIN)/pyinstaller --noconfirm --clean --distpath dist/frozen --workpath build/pyinstaller packaging/pkiadmin.spec

# Regenerate the hash-pinned requirements (needs the network; not part of set-up).
lock:
	$(PYTHON) -m pip install -q uv
	cd requirements && $(PYTHON) -m uv pip compile -q --python-version 3.11 --generate-hashes --universal app.in -o app.txt
	cd requirements && $(PYTHON) -m uv pip compile -q --python-version 3.11 --generate-hashes --universal dev.in -o dev.txt
	cd requirements && $(PYTHON) -m uv pip compile -q --python-version 3.11 --generate-hashes --universal freeze.in -o freeze.txt

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build dist *.egg-info
