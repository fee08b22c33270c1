# ShareSafe: `make demo` and `make test` do all set-up on a fresh machine (see README).
VENV := .venv
PY := $(VENV)/bin/python
export QT_QPA_PLATFORM ?= offscreen
export YOLO_OFFLINE := 1

.PHONY: setup demo test lint unit screenshots bench leaks clean

setup:
	@scripts/setup.sh

demo: setup
	$(PY) -m sharesafe demo --out demo-output

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

unit: setup
	$(PY) -m pytest -q

test: lint unit

bench: setup
	$(PY) scripts/bench_strip.py

screenshots: setup
	$(PY) scripts/screenshots.py --out screenshots

leaks: setup
	$(PY) scripts/leak_check.py

clean:
	rm -rf demo-output .pytest_cache .mypy_cache .ruff_cache
