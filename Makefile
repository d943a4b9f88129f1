# Two commands matter (see README): `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test check lint messages bench clean demo-code screenshots lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installs come from the lock files (requirements/*.txt: every package pinned with its
# hashes; how to upgrade them: docs/operations.md, "Dependencies"), then Qorgau itself.
$(VENV)/.run-installed: pyproject.toml requirements/run.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/run.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.run-installed

# axe-core for the accessibility tests (package.json; never served to users).
node_modules/.installed: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $@

# Install, migrate, load the demo and serve Qorgau on 127.0.0.1 (SQLite, data in ./data).
run: $(VENV)/.run-installed
	QORGAU_ENV=development DEBUG=1 $(BIN)/python manage.py migrate --noinput -v0
	QORGAU_ENV=development DEBUG=1 $(BIN)/python manage.py load-demo --url http://127.0.0.1:$(PORT)/
	QORGAU_ENV=development DEBUG=1 $(BIN)/python manage.py db_worker --no-reload -v0 & \
	  trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	  QORGAU_ENV=development DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The current second-factor code of the demo accounts (see `make run`).
demo-code: $(VENV)/.run-installed
	@QORGAU_ENV=development $(BIN)/python manage.py demo-code

# Install and run every check and the whole suite on SQLite and on PostgreSQL.
test: $(VENV)/.dev-installed node_modules/.installed
	bash scripts/test.sh

# docs/screenshots/: the main pages on the demo data, in Chromium (/usr/bin/chromium).
screenshots: $(VENV)/.dev-installed
	QORGAU_ENV=test QORGAU_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/pytest -p no:randomly \
	  qorgau/e2e/test_screenshots.py -q

check: $(VENV)/.dev-installed
	bash scripts/test.sh --checks-only

# Re-extract translatable strings and compile catalogues (needs GNU gettext).
messages: $(VENV)/.dev-installed
	QORGAU_ENV=test $(BIN)/python manage.py makemessages -l ru -l kk --no-obsolete \
	  --ignore '.venv/*' --ignore 'data/*' --ignore 'node_modules/*' --add-location file
	QORGAU_ENV=test $(BIN)/python manage.py compilemessages --ignore '.venv/*' --ignore 'node_modules/*'

# Benchmarks (not part of the tests), at 10,000 cases on PostgreSQL (127.0.0.1:5432; the
# databases qorgau_bench, qorgau_insights, qorgau_import and qorgau_write are re-created).
# The national sizes (100,000 and 1,000,000 cases) and SQLite: docs/performance.md.
BENCH_DB ?= postgres://postgres@127.0.0.1:5432/qorgau_bench
BENCH_PG := postgres://postgres@127.0.0.1:5432

$(VENV)/.bench-installed: pyproject.toml requirements/bench.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/bench.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.run-installed

bench: $(VENV)/.bench-installed
	$(BIN)/python bench/duties_engine.py
	$(BIN)/python bench/bundle_build.py
	$(BIN)/python bench/insights_dashboard.py --cases 100000 --database $(BENCH_PG)/qorgau_insights
	$(BIN)/python bench/dataset.py --cases 10000 --no-derived --database $(BENCH_DB)
	$(BIN)/python bench/obligations_recompute.py --reuse --jobs 2 --database $(BENCH_DB)
	$(BIN)/python bench/needs_action.py --reuse --database $(BENCH_DB)
	$(BIN)/python bench/case_page.py --reuse --database $(BENCH_DB)
	$(BIN)/python bench/ledger_verify.py --reuse --database $(BENCH_DB)
	$(BIN)/python bench/http_load.py --reuse --database $(BENCH_DB)
	$(BIN)/python bench/worker_memory.py --reuse --database $(BENCH_DB)
	$(BIN)/python bench/casefile_import.py --database $(BENCH_PG)/qorgau_import
	$(BIN)/python bench/api_latency.py
	$(BIN)/python bench/event_write.py --database $(BENCH_PG)/qorgau_write

clean:
	rm -rf $(VENV) data

# Pin every dependency again (newest versions pyproject.toml allows), with hashes.
lock:
	$(PYTHON) -m venv $(VENV)-uv && $(VENV)-uv/bin/pip install --quiet uv
	for extra in run dev bench; do \
	  $(VENV)-uv/bin/uv pip compile pyproject.toml $$( [ $$extra = run ] || echo --extra $$extra ) \
	    --generate-hashes --universal --python-version 3.11 --quiet -o requirements/$$extra.txt; \
	done
