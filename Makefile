# Set-up in two commands: `make demo` and `make test`. Only python3 (3.11) and pip are assumed.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
SOP    := $(VENV)/bin/sop
DBT    := $(abspath $(VENV))/bin/dbt
STAMP  := $(VENV)/.installed-stamp
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project -path dbt_project/target -prune -o \( -name '*.sql' -o -name '*.yml' -o -name '*.md' -o -name '*.csv' \) -print)

# demo arguments, e.g. `make demo SCALE=0.1 THROUGH=2024-12`
SCALE ?= 1
DEMO_ARGS ?= --scale $(SCALE) $(if $(THROUGH),--through $(THROUGH))
BENCH_SCALES ?= 1 4
# the test files with date-sensitive tests: collecting only these saves importing the whole suite per date
TODAY_SENSITIVE_FILES = $(shell grep -rl --include='test_*.py' 'mark.today_sensitive' tests)

.PHONY: install demo test test-fast test-dates lint dev bench status clean help

help:
	@echo "make demo   - install, generate the demo company, build all history, publish"
	@echo "make test   - install and run the test suite (random order)"
	@echo "make test-dates - the date-sensitive tests on pinned dates"
	@echo "make lint   - ruff (lint and format) and sqlfluff (the dbt models)"
	@echo "make dev    - the Dagster UI on http://localhost:3000"
	@echo "make bench  - time each stage at scales $(BENCH_SCALES) (figures in $$SOP_DATA_DIR/bench/)"

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet --no-compile -c constraints.txt -e ".[dev]"
	@touch $@

$(MANIFEST): $(STAMP) $(DBT_SOURCES)
	cd dbt_project && $(DBT) parse --profiles-dir . --quiet
	@touch $@

install: $(STAMP) $(MANIFEST)

demo: install
	$(SOP) demo $(DEMO_ARGS)

test: install
	$(PY) -m pytest -n 2 --dist loadgroup --durations=15

lint: install
	$(VENV)/bin/ruff check orchestration tests benchmarks
	$(VENV)/bin/ruff format --check orchestration tests benchmarks
	cd dbt_project && $(abspath $(VENV))/bin/sqlfluff lint --processes 2 models tests macros

# the date-sensitive tests, with today pinned to a 1st of January, a 1st of a month and a leap day;
# the dates run side by side (each session mostly imports), their reports printed in order
TEST_DATES ?= 2027-01-01 2026-03-01 2028-02-29
test-dates: install
	@out=$$(mktemp -d); \
	for d in $(TEST_DATES); do \
		( $(PY) -m pytest -q -p no:cacheprovider -m today_sensitive --today $$d $(TODAY_SENSITIVE_FILES) \
			> $$out/$$d.log 2>&1; echo $$? > $$out/$$d.rc ) & \
	done; wait; status=0; \
	for d in $(TEST_DATES); do echo "today = $$d"; cat $$out/$$d.log; [ "$$(cat $$out/$$d.rc)" = 0 ] || status=1; done; \
	rm -rf $$out; exit $$status

test-fast: install
	$(PY) -m pytest -n 2 -m "not slow"

dev: install
	$(SOP) dev

bench: install
	$(SOP) bench $(foreach s,$(BENCH_SCALES),--scale $(s))
	$(SOP) forecast bench $(foreach s,$(BENCH_SCALES),--scale $(s))
	$(PY) -m orchestration.benchmarks.supply $(foreach s,$(BENCH_SCALES),--scale $(s))
	$(PY) -m orchestration.benchmarks.sop_cycle
	$(PY) -m orchestration.benchmarks.sales_planning
	$(PY) -m orchestration.benchmarks.connectors

status: install
	$(SOP) status

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs .pytest_cache
