# Frontdesk: `make run` serves the demo, `make test` runs the whole suite.
# Needs only Python 3.11+ and make; everything else is installed into .venv.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
PACKAGES := core $(wildcard plugins/*/)
LANGUAGES := zh_Hant zh_Hans en

.PHONY: help install install-dev run test test-quick lint test-sqlite test-postgres fuzz soak crash bench messages compile-messages check dist deploy-check clean

help:
	@echo "make run       install, migrate, load the demo on an empty database, serve on 127.0.0.1:8000"
	@echo "make test      the whole test suite on SQLite and (when it answers) PostgreSQL"
	@echo "make test-quick  core and one plugin (PLUGIN=hotel) on SQLite, under a minute"
	@echo "make messages  extract, update and compile the translation catalogs"
	@echo "make bench     the benchmarks (writes docs/performance.md)"
	@echo "make fuzz      a long schemathesis run against the API"
	@echo "make soak      two workers, 64 clients, 60 s, then every acknowledged write reconciled"
	@echo "make crash     kill -9 during writes, 30 rounds per backend, then integrity checks"
	@echo "make dist      the release: wheel and sdist in dist/ (docs/operations.md)"
	@echo "make deploy-check  the wheel, the systemd unit and the container image (deploy/check.sh)"

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Frontdesk needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)

install-dev: $(DEV_STAMP)

# The demo's e-mail and SMS go to local stand-ins (frontdesk devsinks: var/devmail/*.eml,
# var/devsms/*.json, each SMS reported delivered a second later), unless FRONTDESK_CONFIG or
# FRONTDESK_SMTP_HOST says where real ones are (docs/notifications.md).
run: $(RUN_STAMP)
	$(BIN)/frontdesk migrate
	$(BIN)/frontdesk demo --if-empty
	@if [ -n "$$FRONTDESK_CONFIG$$FRONTDESK_SMTP_HOST" ]; then exec $(BIN)/frontdesk serve; fi; \
	export FRONTDESK_SMTP_HOST=127.0.0.1 FRONTDESK_SMTP_PORT=1025 FRONTDESK_SMTP_SECURITY=none \
	  FRONTDESK_SMS_GATEWAY_URL=http://127.0.0.1:1026/send \
	  FRONTDESK_PUBLIC_URL=$${FRONTDESK_PUBLIC_URL:-http://$${FRONTDESK_HOST:-127.0.0.1}:$${FRONTDESK_PORT:-8000}} \
	  FRONTDESK_SMS_REPORT_SECRET=$${FRONTDESK_SMS_REPORT_SECRET:-demo-only-sms-report-secret}; \
	$(BIN)/frontdesk devsinks & sinks=$$!; trap 'kill $$sinks 2>/dev/null' EXIT INT TERM; \
	$(BIN)/frontdesk serve

# Parallel test processes (pytest-xdist). Three on two cores: the tests wait on the
# databases' disks often enough that a third process fills the gaps (docs/testing.md).
PYTEST_WORKERS ?= 3
PYTEST := $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal

# The whole suite on SQLite, then every database test again on PostgreSQL (skipped when
# no server answers, unless FRONTDESK_TEST_REQUIRE_POSTGRES=1). One backend per process:
# Tortoise caches dialect-specific queries on the model classes.
test: $(DEV_STAMP)
	FRONTDESK_TEST_BACKEND=sqlite $(PYTEST) $(PYTEST_ARGS)
	FRONTDESK_TEST_BACKEND=postgres FRONTDESK_TEST_DATABASE_ONLY=1 $(PYTEST) $(PYTEST_ARGS)

test-sqlite: $(DEV_STAMP)
	FRONTDESK_TEST_BACKEND=sqlite $(PYTEST) $(PYTEST_ARGS)

test-postgres: $(DEV_STAMP)
	FRONTDESK_TEST_BACKEND=postgres $(PYTEST) $(PYTEST_ARGS)

# A developer's inner loop: core and one plugin on SQLite, no browsers, fuzzing or nested
# runs (make test-quick PLUGIN=hotel). Its template databases are kept between runs in
# .venv/test-templates and rebuilt when a migration or demo module changes. The whole
# suite still runs before a change lands.
PLUGIN ?= hotel
QUICK_TEMPLATES := $(VENV)/test-templates
test-quick: $(DEV_STAMP)
	@mkdir -p $(QUICK_TEMPLATES)
	FRONTDESK_TEST_TEMPLATES=$(abspath $(QUICK_TEMPLATES)) FRONTDESK_TEST_BACKEND=sqlite \
	  $(PYTEST) -m "not slow and not browser" tests/core tests/plugins/$(PLUGIN) $(PYTEST_ARGS)

check: $(RUN_STAMP)
	$(BIN)/frontdesk check

# Translations: one catalog per package (core also holds the themes' strings).
messages: $(DEV_STAMP)
	@for package in $(PACKAGES); do \
	  package=$${package%/}; sources=$$package; \
	  if [ "$$package" = core ]; then sources="core themes"; fi; \
	  mkdir -p $$package/locale; \
	  $(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	    --project=frontdesk -o $$package/locale/messages.pot $$sources || exit 1; \
	  for language in $(LANGUAGES); do \
	    if [ -f $$package/locale/$$language/LC_MESSAGES/messages.po ]; then \
	      $(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete -i $$package/locale/messages.pot -d $$package/locale -l $$language || exit 1; \
	    else \
	      $(BIN)/pybabel -q init -i $$package/locale/messages.pot -d $$package/locale -l $$language || exit 1; \
	    fi; \
	  done; \
	done
	$(MAKE) compile-messages

compile-messages: $(DEV_STAMP)
	@for package in $(PACKAGES); do \
	  package=$${package%/}; \
	  [ -d $$package/locale ] && $(BIN)/pybabel -q compile -d $$package/locale || true; \
	done

# Security and correctness lint (ruff: pyflakes, bugbear, bandit); part of CI.
lint: $(DEV_STAMP)
	$(BIN)/ruff check core plugins bench tests
	$(BIN)/lint-imports

bench: $(DEV_STAMP)
	$(BIN)/python -m bench.run

# Many more fuzzing examples per operation than the suite's bounded run.
fuzz: $(DEV_STAMP)
	FRONTDESK_FUZZ_EXAMPLES=200 FRONTDESK_TEST_BACKEND=sqlite $(BIN)/python -m pytest tests/fuzz

# Two workers on PostgreSQL, 64 clients for 60 s, then every acknowledged write reconciled.
soak: $(DEV_STAMP)
	$(BIN)/python -m bench.soak

# kill -9 the server during writes, 30 rounds per backend; integrity and acknowledged writes checked.
crash: $(DEV_STAMP)
	$(BIN)/python -m bench.crash

# The release: the wheel and the sdist in dist/, built in a fresh build environment (the
# wheel from the sdist, which proves the sdist complete). docs/operations.md, "Installing a release".
dist: $(DEV_STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist

# The wheel, the systemd unit (systemd-analyze) and the container image (podman or docker),
# each skipped with a message where its tool is missing.
deploy-check: $(DEV_STAMP)
	PYTHON=$(abspath $(BIN)/python) deploy/check.sh

clean:
	rm -rf $(VENV) .pytest_cache dist build
