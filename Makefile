# The first two targets are the README's two commands. Both create the virtual environment when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench bench-web browser clean catalog

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

unit: $(STAMP) browser
	$(BIN)/python -m pytest

# The browser tests drive Debian's Chromium (never a browser downloaded by Playwright). Installed here when missing
# and this is root on Debian; otherwise those tests are skipped, saying why.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      chromium chromium-driver fonts-noto-cjk >/dev/null \
	      || echo "Chromium could not be installed: the browser tests will be skipped"; \
	  else echo "Chromium is missing (install chromium and chromium-driver as root): the browser tests will be skipped"; fi; }

# The package's bytecode compiled first, as an installed package has it (an environment that forbids writing
# bytecode at import would otherwise compile every module at every start).
bench: $(STAMP)
	$(BIN)/python -m compileall -q engine cli pkg
	$(BIN)/python benchmarks/batch_throughput.py

# The evaluate endpoint under 50 concurrent clients, beside `subsidy evaluate`'s time per profile.
bench-web: $(STAMP)
	$(BIN)/python -m compileall -q engine cli pkg
	$(BIN)/python benchmarks/web_load.py

# The message catalogues: compile each .po to the .mo the program reads (tests check the .mo is up to date).
catalog: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -D subsidy -d engine/i18n/locale

clean:
	rm -rf $(VENV) build
