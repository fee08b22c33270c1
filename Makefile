# ShareSafe: `make demo` and `make test` do all set-up on a fresh machine (see README).
VENV := .venv
PY := $(VENV)/bin/python
export QT_QPA_PLATFORM ?= offscreen
export YOLO_OFFLINE := 1

.PHONY: setup demo test lint unit screenshots bench leaks clean bundle bundle-test bundle-startup

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

# The desktop bundle (packaging/README.md): dist/sharesafe/ from a clean checkout, about 10 minutes
# on 2 cores. bundle-test runs the frozen self-test offline; bundle-startup times the window.
bundle: setup
	rm -rf build/sharesafe dist/sharesafe
	$(VENV)/bin/pyinstaller --noconfirm --clean --distpath dist --workpath build packaging/sharesafe.spec
	@du -sh dist/sharesafe

bundle-test: setup
	$(PY) -m pytest -q tests/packaging

bundle-startup: setup
	$(PY) packaging/measure_startup.py dist/sharesafe/sharesafe --runs 3 --timings

clean:
	rm -rf demo-output .pytest_cache .mypy_cache .ruff_cache build dist
