# fundrisk — entry points: make install | demo | test | bench
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install browser demo test test-fast test-adversarial lint bench clean

install: $(STAMP) browser

# Headless Chromium and a CJK font for tests/test_browser.py, from Debian's packages (Playwright's own
# browser download is not used). Only where apt-get exists and we are root; quiet and idempotent.
browser:
	@if { command -v chromium || command -v chromium-headless-shell; } >/dev/null 2>&1 \
		&& fc-list :lang=zh family 2>/dev/null | grep -q CJK; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing chromium and fonts-noto-cjk (apt-get) for the browser tests"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; } \
			>/dev/null 2>&1 || echo "could not install chromium / fonts-noto-cjk: tests/test_browser.py will skip"; \
	else echo "not root or no apt-get: chromium / fonts-noto-cjk not installed, tests/test_browser.py will skip"; fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/fundrisk demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: lint
	$(BIN)/python -m pytest -q

# The quick loop (under a minute): every test not marked slow, without lint. Slow = the Prefect harness, a
# `fundrisk` subprocess, a generated or scored district, or over ~0.2 s alone (docs/EXTENDING.md, Tests).
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

# Issue 16's adversarial suite alone (also part of `make test`: tests/ is collected whole); ends with
# "对抗性用例：尝试 N，处理 M".
test-adversarial: install
	$(BIN)/python -m pytest -q tests/adversarial

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
