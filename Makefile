# Two commands on a fresh machine: `make run` serves on 127.0.0.1:8000, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lock bench clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/cds-service serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(PY) -m pytest -q

# Re-resolve the pinned versions (needs `uv`; run after changing dependencies in pyproject.toml).
lock:
	uv pip compile pyproject.toml --extra test --python-version 3.11 --quiet -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache
