# Everything builds its own virtualenv; a fresh machine needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= test
POSTGRES_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: .venv run test test-postgres init-db clean

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

# The same suite on PostgreSQL: the run creates its own database there and drops it after.
test-postgres: $(STAMP)
	TEST_DATABASE_URL='$(POSTGRES_TEST_URL)' $(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
