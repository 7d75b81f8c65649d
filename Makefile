# The first two targets are the README's two commands. Both create the virtual environment when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench clean catalog messages

demo: $(STAMP)
	$(BIN)/subsidy evaluate cases/profiles/nanning_incubation_base.yaml --explain

test: $(STAMP) lint typecheck unit

$(STAMP): pyproject.toml setup.py engine/_kernels.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check engine cli pkg tests benchmarks setup.py

# mypy sees the mapped package through a tree of links, since the folders are mapped in pyproject.
typecheck: $(STAMP)
	mkdir -p build/typecheck/guangxi_subsidy
	ln -sfn ../../../engine build/typecheck/guangxi_subsidy/engine
	ln -sfn ../../../cli build/typecheck/guangxi_subsidy/cli
	ln -sf ../../../pkg/__init__.py build/typecheck/guangxi_subsidy/__init__.py
	cd build/typecheck && ../../$(BIN)/mypy --config-file ../../pyproject.toml -p guangxi_subsidy

unit: $(STAMP)
	$(BIN)/python -m pytest

# The package's bytecode compiled first, as an installed package has it (an environment that forbids writing
# bytecode at import would otherwise compile every module at every start).
bench: $(STAMP)
	$(BIN)/python -m compileall -q engine cli pkg
	$(BIN)/python benchmarks/batch_throughput.py

# The message catalogues: compile each .po to the .mo the program reads (tests check the .mo is up to date).
catalog: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -D subsidy -d engine/i18n/locale

# The messages the code marks (_(), N_(), ngettext()), extracted into a template to compare with the .po (which is
# kept by hand, its entries grouped, so that it merges well; tests/test_i18n.py requires every one translated).
messages: $(STAMP)
	mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -k ngettext:1,2 --no-location -o build/subsidy.pot .

clean:
	rm -rf $(VENV) build
