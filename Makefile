# docgen: two commands do everything on a fresh Debian machine.
#   make demo   set up and render the bundled example into outbox/
#   make test   set up and run linters and the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: system venv demo test lint bench templates clean

system:
	@sh tools/install-system.sh

$(BIN)/docgen: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

venv: $(BIN)/docgen

demo: system venv
	$(BIN)/docgen check
	$(BIN)/docgen validate examples/beschlussvorlage.json
	$(BIN)/docgen render examples/beschlussvorlage.json --out outbox
	$(BIN)/docgen verify outbox/beschlussvorlage.pdf
	@echo "Fertig: siehe outbox/"

lint: venv
	$(BIN)/ruff check docgen tests tools $(wildcard bench)
	$(BIN)/mypy docgen
	$(BIN)/docgen lint-template

test: system venv lint
	$(BIN)/pytest

bench: system venv
	$(BIN)/python bench/run.py
	$(BIN)/python bench/bundle.py
	$(BIN)/python bench/hotfolder.py
	$(BIN)/python bench/memory.py

templates: venv
	$(BIN)/python tools/build_templates.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
