# xiaoguan (销管) developer commands. A fresh machine needs only `make run` and `make test` (README.md).
#   make run           set up, migrate, load the demo into an empty database, serve http://127.0.0.1:8000
#   make test          lint + the whole pytest suite (unit/service, web, API, browser, schemathesis)
#   make lint          ruff, mypy, import-linter contracts, makemigrations --check
#   make test-suite    the pytest suite only (.ci/run runs it on SQLite and on PostgreSQL)
#   make test-unit / test-api / test-browser    parts of it; pass pytest options with ARGS="-k lead -x"
#   make setup         .venv on the newest Python >= 3.12 + `pip install -e '.[dev]'` (quick when already done)

SHELL := /bin/sh
BIN := .venv/bin
XG := $(BIN)/xiaoguan
VAR := $(or $(XIAOGUAN_VAR_DIR),var)
ARGS ?=
# pytest-xdist workers; 0 runs the suite in one process.
PYTEST_WORKERS ?= 0
# -rs lists every skip with its reason (e.g. browser tests without Chromium).
PYTEST := $(BIN)/pytest -rs $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS))

.PHONY: run setup test lint test-suite test-unit test-api test-browser browser-deps ci

run: setup
	@$(XG) migrate --noinput --verbosity 0
	@$(XG) collectstatic --noinput --verbosity 0
	@rc=0; $(XG) db_is_empty || rc=$$?; \
	if [ $$rc -eq 0 ]; then \
		echo "run: the database is empty: loading the demo world (xiaoguan demo) ..." >&2; \
		if $(XG) demo > $(VAR)/demo-logins.txt.new; then mv $(VAR)/demo-logins.txt.new $(VAR)/demo-logins.txt; \
		else rm -f $(VAR)/demo-logins.txt.new; exit 1; fi; \
	elif [ $$rc -ne 1 ]; then exit $$rc; fi
	@if [ -s $(VAR)/demo-logins.txt ]; then echo "演示账号 / demo logins ($(VAR)/demo-logins.txt):"; cat $(VAR)/demo-logins.txt; fi
	@exec $(XG) serve

setup:
	@scripts/setup.sh

# The suite runs even when lint fails, so one pass shows every problem. (Both sub-makes run `setup` first.)
test:
	@status=0; $(MAKE) --no-print-directory lint || status=1; $(MAKE) --no-print-directory test-suite || status=1; exit $$status

# Every check runs even when an earlier one fails, so one pass shows all problems.
lint: setup
	@status=0; \
	echo "lint: ruff" >&2; $(BIN)/ruff check --output-format concise . || status=1; \
	echo "lint: mypy" >&2; $(BIN)/mypy || status=1; \
	echo "lint: import-linter" >&2; $(BIN)/lint-imports --no-logo --no-cache || status=1; \
	echo "lint: makemigrations --check" >&2; $(XG) makemigrations --check --dry-run || status=1; \
	exit $$status

# Browser tests drive Debian's Chromium (XIAOGUAN_CHROMIUM, default /usr/bin/chromium): tests/e2e/conftest.py skips them
# with a message when it is missing, and fails them under CI=true.
test-suite: setup browser-deps
	@$(PYTEST) $(ARGS)

test-unit: setup
	@$(PYTEST) -m "not browser" --ignore=tests/e2e --ignore=tests/api $(ARGS)

test-api: setup
	@$(PYTEST) tests/api $(ARGS)

test-browser: setup browser-deps
	@$(PYTEST) tests/e2e $(ARGS)

browser-deps:
	@scripts/browser_deps.sh

ci:
	@.ci/run
