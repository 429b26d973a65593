# LeadOps — set-up, run, test and CI plumbing (GNU make, Debian 12, python3 = 3.11).
#   make run    the app with demo data at http://127.0.0.1:$(PORT)/ (web + worker)
#   make test   the test suite (PYTEST_ARGS="-k intake -x" to narrow it)
# See `make help` for the rest.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
PORT        ?= 8000
WS_PORT     ?= $(shell echo $$(( $(PORT) + 1 )))
PYTEST_ARGS ?=
BENCH_ARGS  ?=
export PORT WS_PORT

.PHONY: help venv run test lint prod bench-intake bench-pipeline bench-live bench-dashboard bench-routing bench-cadences bench-e2e bench-worker-cost bench-push bench-whatif bench-mailbox-memory drills audit clean

help:
	@echo "make venv          create .venv and install requirements-test.txt (only when they changed)"
	@echo "make run           migrate, seed demo data and start web + worker at http://127.0.0.1:$(PORT)/"
	@echo "make test          run the tests (PYTEST_ARGS=... passed to pytest; DATABASE_URL=... for PostgreSQL)"
	@echo "make lint          ruff check, ruff format --check, manage.py check, makemigrations --check, lint-imports"
	@echo "make prod          production layout locally: gunicorn :$(PORT), daphne /ws/ :$(WS_PORT), worker (needs SECRET_KEY)"
	@echo "make bench-intake  run bench/intake.py (BENCH_ARGS=... passed to it)"
	@echo "make bench-pipeline run bench/pipeline.py: submission -> owner and acknowledgment with workers (BENCH_ARGS=...)"
	@echo "make bench-live    run bench/live.py: submission -> lead.assigned on the reps' open websockets (BENCH_ARGS=...)"
	@echo "make bench-dashboard run bench/dashboard.py: dashboard and metrics API on 1M leads / 5M attempts (BENCH_ARGS=...)"
	@echo "make bench-routing  run bench/routing.py: leads/s routed and submission -> owner vs single-row UPDATEs (BENCH_ARGS=...)"
	@echo "make bench-cadences run bench/cadences.py: lateness of 100,000 planned steps, one worker (BENCH_ARGS=...)"
	@echo "make bench-push    run bench/webpush.py: submission -> push accepted by a local push service at 10 leads/s (BENCH_ARGS=...)"
	@echo "make bench-e2e     run bench/e2e.py: full production stack at stepped rates, highest rate with p95 submission -> rep < 1 s (BENCH_ARGS=...)"
	@echo "make bench-worker-cost run bench/worker_cost.py: worker CPU ms and SQL statements per lead, by stage (BENCH_ARGS=...)"
	@echo "make bench-whatif  run bench/whatif.py: the admin's what-if over 100,000 leads, goal < 30 s (BENCH_ARGS=...)"
	@echo "make bench-mailbox-memory run bench/mailbox_memory.py: peak RSS rebuilding a 100,000-message mailbox (BENCH_ARGS=...)"
	@echo "make drills        fault drills on private PostgreSQL + Redis: Redis down, worker SIGKILL, PostgreSQL down, websocket drop"
	@echo "make audit         pip-audit of requirements.txt against the PyPI/OSV vulnerability data (needs that network)"
	@echo "make clean         remove db.sqlite3, staticfiles and test artifacts (keeps .venv)"

# --- virtualenv ---------------------------------------------------------------------------
$(PY):
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "'$(PYTHON) -m venv' failed; on Debian install it with: apt-get install python3-venv" >&2; exit 1; }

# Re-install only when a requirements file is newer than the stamp. (The sed drops pip's
# harmless "Location ... is ignored" warnings about an extra package index path.)
$(STAMP): requirements.txt requirements-test.txt | $(PY)
	@echo "Installing requirements-test.txt into $(VENV) ..."
	@set -o pipefail; PIP_DISABLE_PIP_VERSION_CHECK=1 $(PY) -m pip install --quiet --no-input -r requirements-test.txt 2>&1 \
	  | sed '/is ignored: it is neither a file nor a directory/d'
	@touch $@

venv: $(STAMP)

# --- development -----------------------------------------------------------------------------
run: venv
	@bash scripts/ensure-redis
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py collectstatic --noinput -v0
	@echo
	@echo "LeadOps: http://127.0.0.1:$(PORT)/   (Ctrl-C stops web and worker)"
	@echo
	$(VENV)/bin/honcho start -f Procfile

# pytest's exit code 5 (no tests collected) fails like any other non-zero code.
test: venv
	@bash scripts/ensure-redis
	@rc=0; $(PY) -m pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests (exit code 5): counted as a failure." >&2; fi; \
	exit $$rc

# Runs every check and fails at the end if any of them failed.
lint: venv
	@rc=0; \
	echo "ruff check";             $(VENV)/bin/ruff check . || rc=1; \
	echo "ruff format --check";    $(VENV)/bin/ruff format --check . || rc=1; \
	echo "manage.py check";        $(PY) manage.py check || rc=1; \
	echo "makemigrations --check"; $(PY) manage.py makemigrations --check --dry-run || rc=1; \
	echo "lint-imports (the apps' layers, .importlinter)"; $(VENV)/bin/lint-imports --no-cache || rc=1; \
	if [ $$rc -ne 0 ]; then echo "make lint: at least one check failed (see above)." >&2; fi; \
	exit $$rc

# --- production layout (SPEC §7) -----------------------------------------------------------
# gunicorn sync workers for HTTP on $(PORT), daphne for /ws/ on $(WS_PORT), the RQ worker;
# see Procfile.prod. DEBUG defaults to false here; SECRET_KEY must be set (environment or .env).
# Without EMAIL_URL, mail is printed to the console on purpose (LEADOPS_ALLOW_CONSOLE_EMAIL);
# links and the websocket's allowed origin follow LEADOPS_PUBLIC_URL (this machine's port).
prod: export DEBUG ?= false
prod: export LEADOPS_ALLOW_CONSOLE_EMAIL ?= true
prod: export LEADOPS_PUBLIC_URL ?= http://127.0.0.1:$(PORT)
prod: venv
	@if [ -z "$${SECRET_KEY:-}" ] && ! grep -qs '^[[:space:]]*SECRET_KEY=..*' .env; then \
	  echo "make prod needs SECRET_KEY: set it in the environment or in .env, e.g. SECRET_KEY=\"\$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')\" make prod" >&2; \
	  exit 1; fi
	@bash scripts/ensure-redis
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	@echo
	@echo "LeadOps (production layout, DEBUG=$$DEBUG): HTTP http://127.0.0.1:$(PORT)/ (gunicorn), websockets ws://127.0.0.1:$(WS_PORT)/ws/ (daphne)"
	@echo "With DEBUG=false, HTTP redirects to https; without a TLS proxy in front, set"
	@echo "SECURE_SSL_REDIRECT=false SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false to use plain http."
	@echo
	$(VENV)/bin/honcho start -f Procfile.prod

# --- benchmarks --------------------------------------------------------------------------------
bench-intake: venv
	@bash scripts/ensure-redis
	$(PY) bench/intake.py $(BENCH_ARGS)

bench-pipeline: venv
	@bash scripts/ensure-redis
	$(PY) bench/pipeline.py $(BENCH_ARGS)

bench-live: venv
	@bash scripts/ensure-redis
	$(PY) bench/live.py $(BENCH_ARGS)

bench-dashboard: venv
	$(PY) bench/dashboard.py $(BENCH_ARGS)

bench-routing: venv
	@bash scripts/ensure-redis
	$(PY) bench/routing.py $(BENCH_ARGS)

bench-cadences: venv
	@bash scripts/ensure-redis
	$(PY) bench/cadences.py $(BENCH_ARGS)

bench-e2e: venv
	@bash scripts/ensure-redis
	$(PY) bench/e2e.py $(BENCH_ARGS)

bench-worker-cost: venv
	@bash scripts/ensure-redis
	$(PY) bench/worker_cost.py $(BENCH_ARGS)

bench-push: venv
	@bash scripts/ensure-redis
	$(PY) bench/webpush.py $(BENCH_ARGS)

bench-whatif: venv
	$(PY) bench/whatif.py $(BENCH_ARGS)

bench-mailbox-memory: venv
	$(PY) bench/mailbox_memory.py $(BENCH_ARGS)

drills: venv
	$(PY) bench/drills.py $(BENCH_ARGS)

# Dependency audit. Not in CI: the CI machines reach a PyPI mirror for installs but not the
# vulnerability data pip-audit reads, so there it would audit nothing. --strict fails when
# any package could not be audited, so a run without that data fails loudly instead.
audit: venv
	@$(PY) -m pip install --quiet --no-input pip-audit==2.10.1 2>&1 | sed '/is ignored: it is neither a file nor a directory/d'
	$(VENV)/bin/pip-audit --strict --progress-spinner off -r requirements.txt

# --- housekeeping ------------------------------------------------------------------------------
clean:
	rm -rf db.sqlite3 db.sqlite3-wal db.sqlite3-shm db.sqlite3-journal staticfiles \
	  test-artifacts .pytest_cache htmlcov .coverage .coverage.*
