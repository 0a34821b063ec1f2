# Everything builds its own virtualenv; a fresh machine needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= test

.PHONY: .venv run test init-db clean bench load

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[$(EXTRAS)]'
	touch $(STAMP)

.venv: $(STAMP)

init-db: $(STAMP)
	$(BIN)/flask --app app init-db

# Plain HTTP on localhost, so the Secure flag (and the __Host- prefix) is off for this run only.
run: init-db
	FLASK_COOKIE_SECURE=false FLASK_ALLOW_INSECURE_COOKIES=true \
	$(BIN)/flask --app app run --host 127.0.0.1 --port 5000

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info

# Benchmarks (bench-only dependencies come from the [bench] extra).
bench: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python -m bench

load: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python -m bench.load
