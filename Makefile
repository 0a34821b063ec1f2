# Everything builds its own virtualenv; a fresh machine needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps: `make run` (and `make .venv`) install only what serving the site needs; the
# test, lint and screenshot targets add the [test] extra (pytest, Playwright, ...) on top.
STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
EXTRAS ?= test
PORT ?= 5000
# axe-core for the browser suite, pinned in tests/browser/package.json (npm; not committed).
AXE := tests/browser/node_modules/axe-core/axe.min.js
POSTGRES_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: .venv run test lint format test-postgres init-db clean messages translations screenshots bench load browser-tools

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $(STAMP)

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[$(EXTRAS)]'
	touch $(STAMP) $(TEST_STAMP)

browser-tools: $(AXE)

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/browser --no-audit --no-fund --silent && touch $@; \
	else \
		echo "npm not found: the accessibility checks of the browser suite will not run"; \
	fi

.venv: $(STAMP) translations

# Translations: only the .po files are kept in git; the .mo files are compiled from them.
TRANSLATIONS := app/translations
POT := $(TRANSLATIONS)/messages.pot
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po))
# tests/test_i18n.py extracts with the same -F and -k flags; lazy_gettext is imported as _l.
EXTRACT_FLAGS := -F babel.cfg -k _l -k lazy_gettext --sort-output --add-location=file \
	--project=Gatehouse --version=0.1.0 --copyright-holder=Gatehouse

# Re-extract every wrapped string into the .pot and merge it into each language's .po
# (sorted, no fuzzy guesses, obsolete entries dropped), so diffs stay small and stable.
messages: $(STAMP)
	$(BIN)/pybabel -q extract $(EXTRACT_FLAGS) -o $(POT) .
	$(BIN)/pybabel -q update -i $(POT) -d $(TRANSLATIONS) --no-fuzzy-matching --ignore-obsolete \
		--ignore-pot-creation-date

translations: $(MO_FILES)

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po | $(STAMP)
	$(BIN)/pybabel compile --statistics -l $* -i $< -o $@

init-db: $(STAMP) translations
	$(BIN)/flask --app app init-db

# Plain HTTP on localhost, so the Secure flag (and the __Host- prefix) is off for this run only.
run: init-db
	FLASK_COOKIE_SECURE=false FLASK_ALLOW_INSECURE_COOKIES=true \
	$(BIN)/flask --app app run --host 127.0.0.1 --port $(PORT)

test: $(TEST_STAMP) translations browser-tools
	$(BIN)/python -m pytest

# The same suite on PostgreSQL: the run creates its own database there and drops it after.
test-postgres: $(TEST_STAMP) translations browser-tools
	TEST_DATABASE_URL='$(POSTGRES_TEST_URL)' $(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info $(MO_FILES) tests/browser/node_modules

# The landing, login, account and sessions pages at desktop and phone widths, for the README.
screenshots: $(TEST_STAMP) translations
	$(BIN)/python -m tests.browser.screenshots

# Benchmarks (bench-only dependencies come from the [bench] extra).
bench: $(TEST_STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python -m bench

load: $(TEST_STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python -m bench.load

# Lint and type checks: ruff (lint and format) and mypy over the package.
lint: $(TEST_STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,lint]'
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench
	$(BIN)/mypy

format: $(TEST_STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,lint]'
	$(BIN)/ruff check --fix app tests bench
	$(BIN)/ruff format app tests bench
