# Everything builds its own virtualenv; a fresh machine needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= test
POSTGRES_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: .venv run test lint format test-postgres init-db clean messages translations screenshots bench load

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[$(EXTRAS)]'
	touch $(STAMP)

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
	$(BIN)/flask --app app run --host 127.0.0.1 --port 5000

test: $(STAMP) translations
	$(BIN)/python -m pytest

# The same suite on PostgreSQL: the run creates its own database there and drops it after.
test-postgres: $(STAMP) translations
	TEST_DATABASE_URL='$(POSTGRES_TEST_URL)' $(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info $(MO_FILES)

# The landing, login, account and sessions pages at desktop and phone widths, for the README.
screenshots: $(STAMP)
	$(BIN)/python -m tests.browser.screenshots

# Benchmarks (bench-only dependencies come from the [bench] extra).
bench: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python -m bench

load: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python -m bench.load

# Lint and type checks: ruff (lint and format) and mypy over the package.
lint: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,lint]'
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,lint]'
	$(BIN)/ruff check --fix app tests bench
	$(BIN)/ruff format app tests bench
