# Two commands on a fresh machine: `make run` serves on 127.0.0.1:8000, `make test` runs the suite.
# `make run PORT=8080 HOST=0.0.0.0` serves elsewhere.
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lock bench fuzz clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/cds-service serve --host $(HOST) --port $(PORT)

# Types and lint first (seconds), then the suite: mypy strict on every module of the service and the rules
# ([tool.mypy] in pyproject.toml), ruff on everything ([tool.ruff]).
test: $(STAMP)
	$(PY) -m mypy
	$(PY) -m ruff check .
	$(PY) -m pytest -q -n auto --dist worksteal

# Re-resolve the pinned versions after changing dependencies in pyproject.toml. The lock holds
# the test and PostgreSQL extras: `make install` and `make test` have both (the suite uses PostgreSQL).
lock: $(STAMP)
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra test --extra postgres --python-version 3.11 --quiet -o requirements.lock

# Service vs a bare FastAPI endpoint under wrk (docs/performance.md); `make bench BENCH_ARGS=--quick` for a smoke run.
bench: $(STAMP)
	$(PY) bench/run.py $(BENCH_ARGS)

# Schemathesis against uvicorn on 127.0.0.1 with >= 5,000 generated requests (docs/reliability.md);
# `make fuzz FUZZ_CASES=20000` for a longer run.
FUZZ_CASES ?= 5000
fuzz: $(STAMP)
	CDS_FUZZ_CASES=$(FUZZ_CASES) $(PY) -m pytest tests/test_fuzz.py -q -s -p no:logging

clean:
	rm -rf $(VENV) .pytest_cache
