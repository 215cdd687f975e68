# Innspill: `make run` starts the demo, `make test` runs the whole suite. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: run test test-fast lint format clean check-python migration bench system-deps oidc-provider

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Innspill trenger Python 3.11 eller nyere (fant " + sys.version.split()[0] + "). Sett PYTHON=python3.11 eller nyere.")'

# Debian libraries WeasyPrint needs to write PDF (Pango, HarfBuzz's subsetter) and fonts without a network;
# hunspell's official-norm dictionaries, which the tests check bokmål and nynorsk texts with; nginx, the
# reverse proxy with HTTPS that the deployment test puts in front of Innspill (docs/deployment.md).
SYSTEM_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-liberation \
  hunspell hunspell-no nginx-light
system-deps:
	@missing=$$(for p in $(SYSTEM_LIBS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installerer $$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Innspill trenger Debian-pakkene $$missing (PDF-dokumentene og testene). Installer dem med: sudo apt-get install $$missing"; exit 1; \
	  fi; \
	fi

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@ $(VENV)/.installed

# The OpenID Connect provider the tests sign in through (tests/oidc/, npm's oidc-provider), installed
# exactly as its lockfile pins it; again whenever the lockfile changes.
OIDC_DIR := tests/oidc
OIDC_STAMP := $(OIDC_DIR)/node_modules/.installed
$(OIDC_STAMP): $(OIDC_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "Testene trenger Node.js og npm (identitetsleverandøren i tests/oidc). Installer dem med: sudo apt-get install nodejs npm"; exit 1; }
	npm ci --prefix $(OIDC_DIR) --no-audit --no-fund --loglevel=error
	@touch $@
oidc-provider: $(OIDC_STAMP)

run: $(VENV)/.installed system-deps
	$(BIN)/survey-app demo --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test system-deps $(OIDC_STAMP)
	$(BIN)/python -m pytest

# The everyday loop, under three minutes: everything but the browser, the served durability runs, the
# fuzzing, the analysis library's model checks, the tests that start real programs one after another
# (commands as subprocesses, nginx, the OpenID provider, the wheel, PDF/A) and the leser walk of every page.
# `make test` and CI run them all.
FAST_IGNORE := tests/browser tests/test_durability.py tests/test_fuzz.py tests/analysis tests/test_cli_errors.py \
  tests/test_readme.py tests/test_serve_cli.py tests/test_proxy_nginx.py tests/test_oidc.py tests/test_packaging.py \
  tests/test_logs_and_files.py tests/test_backup.py tests/test_backup_restore_links.py tests/test_cli.py \
  tests/test_reader_masking.py tests/test_archive.py
test-fast: $(VENV)/.installed-test system-deps $(OIDC_STAMP)
	$(BIN)/python -m pytest -q -x -m "not browser and not first_pass_only" $(addprefix --ignore=,$(FAST_IGNORE))

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	@touch $@ $(VENV)/.installed

# Benchmarks: numbers, not pass/fail (see docs/benchmarks.md). Raw results: bench/results/latest.json.
# BENCH_ARGS="--quick" for short load phases, "--only web", "--profile open-256" (py-spy, bench/results/).
bench: $(VENV)/.installed-bench
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check survey_app analysis tests
	$(BIN)/ruff format --check survey_app analysis tests
	$(BIN)/mypy survey_app analysis

format: $(VENV)/.installed-test
	$(BIN)/ruff format survey_app analysis tests
	$(BIN)/ruff check --fix survey_app analysis tests

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(OIDC_DIR)/node_modules

# A new Alembic migration from the model changes: make migration MSG="what changed"
migration: $(VENV)/.installed-test
	$(BIN)/python -c 'import sys, tempfile; from alembic import command; from survey_app.db import alembic_config, make_engine, upgrade; e = make_engine("sqlite:///" + tempfile.mkdtemp() + "/m.sqlite3"); upgrade(e); command.revision(alembic_config(e), message=sys.argv[1], autogenerate=True)' "$(MSG)"
	$(BIN)/ruff format survey_app/migrations/versions
