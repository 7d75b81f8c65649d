# The first two targets are the README's two commands. Both create the virtual environment when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The suite runs a second time on Python 3.13: python3.13 if it runs, else one under pyenv's versions.
PYENV_ROOT ?= $(HOME)/.pyenv
PYTHON313 ?= $(firstword $(shell python3.13 -c 'import sys; print(sys.executable)' 2>/dev/null) \
                         $(wildcard $(PYENV_ROOT)/versions/3.13*/bin/python3))
VENV313 := .venv313
STAMP313 := $(VENV313)/.installed
# On 3.13 the properties that take the profile's budget run on fewer examples (tests/conftest.py, "quick").
HYPOTHESIS_313 ?= quick

.PHONY: demo test lint typecheck unit unit313 installed bench startup bench-web browser postgres clean catalog messages \
	fuzz fonts perf-check valgrind nginx services unit-suite unit-web smoke-first smoke-rest

demo: $(STAMP)
	$(BIN)/subsidy evaluate cases/profiles/nanning_incubation_base.yaml --explain

# The checks after the services in parts, two at a time (each one's output printed whole when it ends): make starts
# them in the order of TEST_PARTS, each as soon as a core is free, so that both cores end together. mypy is one of
# the parts (alone before them, it left a core idle for its half-minute), and so is the speed guard: its count no
# longer moves with the load beside it once counting starts before the counted run (benchmarks/perf_check.py).
test: $(STAMP) lint
	$(MAKE) --no-print-directory services
	$(MAKE) --no-print-directory -j2 --output-sync=target $(TEST_PARTS)

# The longest first: the 3.11 suite in two parts (the tests of the web server, the office and the browser; the rest but
# the benchmarks' smoke runs), the 3.13 suite, the wheels (one after the other: each builds from the checkout),
# mypy, the speed guard, the smoke runs (on 3.11) in two halves; each taken by whichever core is free first. Every
# test runs once, on the Python it ran on in `make unit` and `make unit313`.
TEST_PARTS := unit-suite unit313 unit-web installed typecheck perf-check smoke-first smoke-rest
# The smoke runs of the first half (by the script's name); the second half is every other test of the file.
SMOKE_FIRST := batch_throughput or office_load or scenarios or startup or xlsx_readers
# The second part of the 3.11 suite: the tests that start `subsidy serve`, Chromium or the office's register.
UNIT_WEB := tests/test_web_*.py tests/office
# One polars thread in the suites run side by side: two suites' polars pools on two cores fight over them. The batch
# path's test files, CPU s (user+sys): 101.1 with polars' own pool, 92.2 with one thread, one run after the other;
# 82.4 and 79.0 run side by side (load 4 to 8). No test depends on the pool's size.
PARTS_ENV := POLARS_MAX_THREADS=1

unit-suite: $(STAMP) postgres
	$(PARTS_ENV) $(BIN)/python -m pytest --ignore=tests/test_benchmarks.py $(addprefix --ignore=,$(wildcard $(UNIT_WEB)))

unit-web: $(STAMP) browser postgres nginx
	$(PARTS_ENV) $(BIN)/python -m pytest $(wildcard $(UNIT_WEB))

smoke-first: $(STAMP)
	$(BIN)/python -m pytest tests/test_benchmarks.py -k '$(SMOKE_FIRST)'

smoke-rest: $(STAMP)
	$(BIN)/python -m pytest tests/test_benchmarks.py -k 'not ($(SMOKE_FIRST))'

$(STAMP): pyproject.toml setup.py engine/_kernels.c $(wildcard engine/kernels/*) engine/_sheetxml.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	cp cli/start.pth "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/00-guangxi-subsidy-start.pth"
	@$(MAKE) --no-print-directory fonts
	touch $(STAMP)

# The PDF report embeds a subset of a Chinese font (engine/answers/pdffont.py): Noto Sans CJK, installed here when
# missing and this is root on Debian; without one, the PDF names STSong-Light and the font test is skipped.
fonts:
	@test -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      fonts-noto-cjk >/dev/null || echo "fonts-noto-cjk could not be installed: the PDF report will not embed its font"; \
	  else echo "No Chinese font (install fonts-noto-cjk): the PDF report will not embed its font"; fi; }

lint: $(STAMP)
	$(BIN)/ruff check engine cli pkg tests benchmarks setup.py

# mypy sees the mapped package through a tree of links, since the folders are mapped in pyproject.
typecheck: $(STAMP)
	mkdir -p build/typecheck/guangxi_subsidy
	ln -sfn ../../../engine build/typecheck/guangxi_subsidy/engine
	ln -sfn ../../../cli build/typecheck/guangxi_subsidy/cli
	for f in pkg/*.py; do ln -sf ../../../$$f build/typecheck/guangxi_subsidy/$$(basename $$f); done
	ln -sfn ../../../pkg/data build/typecheck/guangxi_subsidy/data
	cd build/typecheck && ../../$(BIN)/mypy --config-file ../../pyproject.toml -p guangxi_subsidy

unit: $(STAMP) browser postgres nginx
	$(BIN)/python -m pytest

ifeq ($(PYTHON313),)
unit313:
	@echo "SKIP: the test suite on Python 3.13 (no python3.13 on PATH nor under $(PYENV_ROOT)/versions; set PYTHON313)"
else
$(STAMP313): pyproject.toml setup.py engine/_kernels.c $(wildcard engine/kernels/*) engine/_sheetxml.c engine/_durable_compat.c
	test -x $(VENV313)/bin/python || $(PYTHON313) -m venv $(VENV313)
	$(VENV313)/bin/python -m pip install --quiet --upgrade pip
	$(VENV313)/bin/python -m pip install --quiet -e '.[dev]'
	cp cli/start.pth "$$($(VENV313)/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/00-guangxi-subsidy-start.pth"
	touch $(STAMP313)

# On 3.13 every test whose subject the interpreter can change: the rules evaluated (durable_rules through its
# shim), the compiled passes, the parsers and readers, the commands, the API and the server, the register, the
# workbooks. Left to the first suite, as whole groups: the benchmarks' smoke runs (tests/test_benchmarks.py: each
# benchmark runs and prints its table) and the tests marked `one_python` (pyproject.toml): the pages and their
# scripts as Chromium runs them (tests/test_web_browser.py, tests/office/test_office_browser.py), whose pages and
# answers the suite also checks on 3.13 without a browser.
unit313: $(STAMP313) postgres
	$(PARTS_ENV) HYPOTHESIS_PROFILE=$(HYPOTHESIS_313) $(VENV313)/bin/python -m pytest --ignore=tests/test_benchmarks.py \
	  -m 'not one_python'
endif

# The wheel, built from the sdist and installed into a fresh environment outside the checkout, run from an empty
# folder (.ci/installed); on 3.13 too when it is here.
installed: $(STAMP) $(if $(PYTHON313),$(STAMP313))
	.ci/installed $(BIN)/python $(BIN)/subsidy
	$(if $(PYTHON313),.ci/installed $(VENV313)/bin/python $(BIN)/subsidy,@echo "SKIP: the wheel on Python 3.13")

# The services the tests use, installed one after the other (two apt-get at once would wait on dpkg's lock).
services: browser postgres nginx valgrind

# The browser tests drive Debian's Chromium (never a browser downloaded by Playwright). Installed here when missing
# and this is root on Debian; otherwise those tests are skipped, saying why.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      chromium chromium-driver fonts-noto-cjk >/dev/null \
	      || echo "Chromium could not be installed: the browser tests will be skipped"; \
	  else echo "Chromium is missing (install chromium and chromium-driver as root): the browser tests will be skipped"; fi; }

# The register's tests start a throwaway PostgreSQL server of their own (tests/register/pgserver.py): Debian's
# postgresql, installed here when missing and this is root on Debian; otherwise those tests are skipped, saying why.
postgres:
	@command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      postgresql >/dev/null \
	      || echo "PostgreSQL could not be installed: the register's PostgreSQL tests will be skipped"; \
	  else echo "PostgreSQL is missing (install postgresql as root): the register's PostgreSQL tests will be skipped"; fi; }

# The README's nginx example is checked with `nginx -t` (tests/test_web_proxy.py): Debian's nginx-light, installed
# here when missing and this is root on Debian (never started by the tests); otherwise that check is skipped.
nginx:
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      nginx-light >/dev/null \
	      || echo "nginx could not be installed: the check of the README's nginx example will be skipped"; \
	  else echo "nginx is missing (install nginx-light as root): the README's nginx example will not be checked"; fi; }

# The package's bytecode compiled first, as an installed package has it (an environment that forbids writing
# bytecode at import would otherwise compile every module at every start).
bench: $(STAMP)
	$(BIN)/python -m compileall -q engine cli pkg
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/batch_throughput.py
	$(BIN)/python benchmarks/match_incremental.py --applicants 20000
	$(BIN)/python benchmarks/xlsx_readers.py --rows 20000

# The speed guard: instructions per row of a fixed 20,000-row batch, counted by valgrind's callgrind, against the
# ceiling in benchmarks/instructions_ceiling.txt (`benchmarks/perf_check.py --write` sets it after a speed-up).
perf-check: $(STAMP) valgrind
	$(BIN)/python benchmarks/perf_check.py

# valgrind installed when missing and this is root on Debian (as Chromium is for the browser tests); perl runs
# its callgrind_control, which switches the counting on and off.
valgrind:
	@command -v valgrind >/dev/null 2>&1 && command -v perl >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      valgrind perl >/dev/null; \
	  else echo "valgrind is missing (install it as root): make perf-check cannot count"; exit 1; fi; }

startup: $(STAMP)
	$(BIN)/python -m compileall -q engine cli pkg
	$(BIN)/python benchmarks/startup.py

# The evaluate endpoint under 50 concurrent clients, beside `subsidy evaluate`'s time per profile.
bench-web: $(STAMP)
	$(BIN)/python -m compileall -q engine cli pkg
	$(BIN)/python benchmarks/web_load.py

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

# The messages the code marks (_(), N_(), ngettext()), extracted into a template to compare with the .po (which is
# kept by hand, its entries grouped, so that it merges well; tests/test_i18n.py requires every one translated).
messages: $(STAMP)
	mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -k ngettext:1,2 --no-location -o build/subsidy.pot .

clean:
	rm -rf $(VENV) $(VENV313) build
