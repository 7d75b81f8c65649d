# The first two targets are the README's two commands. Both create the virtual environment when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench clean catalog fuzz

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

# Coverage-guided fuzzing (atheris) of the cell reader, the profile loader and the expression parser, each for
# FUZZ_SECONDS, from the committed corpus (inputs found are kept in build/fuzz/, crashes in build/fuzz/crashes/),
# then the generated hostile files through the CLI for as long: `make fuzz FUZZ_SECONDS=3600` for an hour each.
FUZZ_SECONDS ?= 60
fuzz: $(STAMP)
	mkdir -p build/fuzz/crashes
	for target in cells profile expression; do \
	  mkdir -p build/fuzz/$$target && cp -n tests/fuzz/corpus/$$target/* build/fuzz/$$target/; \
	  $(BIN)/python tests/fuzz/targets.py $$target build/fuzz/$$target -max_total_time=$(FUZZ_SECONDS) \
	    -timeout=20 -rss_limit_mb=2048 -artifact_prefix=build/fuzz/crashes/ || exit 1; \
	done
	SUBSIDY_FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python -m pytest tests/fuzz -q

# The message catalogues: compile each .po to the .mo the program reads (tests check the .mo is up to date).
catalog: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -D subsidy -d engine/i18n/locale

clean:
	rm -rf $(VENV) build
