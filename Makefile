# Sổ Sức Khỏe — `make run` serves the app on the embedded default; `make test` runs every test.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export SSK_INSTANCE_PATH ?= instance

.PHONY: run setup build migrate seed test test-api bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

pwa/node_modules/.installed: pwa/package.json pwa/package-lock.json
	cd pwa && npm ci --no-audit --no-fund
	touch $@

setup: $(VENV)/.installed pwa/node_modules/.installed

build: setup
	cd pwa && npm run build

migrate: setup
	$(BIN)/flask --app wsgi db upgrade

seed: migrate
	$(BIN)/flask --app wsgi demo seed

## run: build the PWA, migrate the SQLite database, seed demo data, serve http://localhost:8000
## with the notification worker and the scheduler (reminders, statistics) beside it
run: build seed
	@echo "Serving http://localhost:$(PORT)  (one-time codes go to $(SSK_INSTANCE_PATH)/outbox-sms.log)"
	@trap 'kill $$(jobs -p) 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask --app wsgi notifications worker & \
	$(BIN)/flask --app wsgi notifications schedule --every 60 & \
	$(BIN)/gunicorn -c infra/gunicorn.conf.py --bind localhost:$(PORT) wsgi:app

## test: every suite (unit, API on SQLite and PostgreSQL, contract, e2e in Chromium, PWA unit)
test: build
	cd pwa && npm test
	$(BIN)/ruff check --select F,E9 api signing notifications tests infra wsgi.py
	$(BIN)/lint-imports --config infra/importlinter.ini
	SSK_TEST_POSTGRES_URL=$$(infra/testdb.sh start) $(BIN)/python -m pytest -p no:cacheprovider -n 2 --dist loadfile

test-api: setup
	SSK_TEST_POSTGRES_URL=$$(infra/testdb.sh start) $(BIN)/python -m pytest -p no:cacheprovider tests/api tests/unit

## bench: every benchmark, one after another (by hand: minutes each, never in CI)
bench: build
	$(BIN)/python infra/bench/bench_passports.py
	$(BIN)/python infra/bench/bench_verify.py
	$(BIN)/python infra/bench/bench_booking.py
	$(BIN)/python infra/bench/bench_doses.py
	$(BIN)/python infra/bench/bench_notifications.py
	$(BIN)/python infra/bench/bench_stats.py --doses 1000000 --server $$(infra/testdb.sh start)

bench-stats: build
	$(BIN)/python infra/bench/bench_stats.py --server $$(infra/testdb.sh start) $(ARGS)

bench-%: build
	$(BIN)/python infra/bench/bench_$*.py

clean:
	rm -rf $(VENV) pwa/node_modules pwa/dist test-artifacts
