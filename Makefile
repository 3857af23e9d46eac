# docgen: two commands do everything on a fresh Debian machine.
#   make demo   set up and render the bundled example into outbox/
#   make test   set up and run linters and the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: system venv demo test test-fast lint bench templates wheel clean

system:
	@sh tools/install-system.sh

$(BIN)/docgen: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

venv: $(BIN)/docgen

# The demo names its sample body explicitly: docgen has no built-in one.
DEMO := $(BIN)/docgen --config examples/docgen-beispiel.toml

demo: system venv
	$(DEMO) check
	$(DEMO) validate examples/beschlussvorlage.json
	$(DEMO) render examples/beschlussvorlage.json --out outbox
	$(DEMO) verify outbox/beschlussvorlage.pdf
	@echo "Fertig: siehe outbox/"

lint: venv
	$(BIN)/ruff check docgen tests tools $(wildcard bench)
	$(BIN)/mypy docgen tests
	MYPYPATH=tools $(BIN)/mypy tools/*.py
	$(BIN)/lint-imports
	$(BIN)/docgen lint-template

test: system venv lint
	$(BIN)/pytest

# The unit tests only (no LibreOffice, no whole CLI runs): under a minute.
test-fast: venv
	$(BIN)/pytest -m "not slow" -q

wheel: venv
	$(BIN)/python -m build --wheel --outdir dist

bench: system venv
	$(BIN)/python bench/run.py
	$(BIN)/python bench/bundle.py
	$(BIN)/python bench/hotfolder.py
	$(BIN)/python bench/memory.py
	$(BIN)/python bench/seal.py

templates: venv
	$(BIN)/python tools/build_templates.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
