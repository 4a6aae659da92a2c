# Palabre — the two commands: `make run` and `make test`. Both install what they need.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint types unit browser bench install chromium coturn nginx lock clean fuzz fonts

NODE_STAMP := frontend/node_modules/.installed

install: $(STAMP) $(NODE_STAMP) fonts

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Palabre needs Python 3.11 ($(PYTHON))"; exit 1; }
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

# Browser-side packages (socket.io client), served from node_modules: no CDN, no build step.
$(NODE_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Debian's DejaVu fonts, embedded in the signed agreements' PDF (records/agreements/pdf.py).
fonts:
	@[ -f /usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf ] || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq fonts-dejavu-core; }

# Debian's Chromium, for the browser tests (Playwright never downloads a browser here).
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

# Debian's nginx, for the tests of several nodes behind a load balancer (run unprivileged there).
nginx:
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nginx-light || $(SUDO) apt-get install -y -qq nginx; }

# Debian's coturn, for the TURN browser tests (they start their own on free ports). The
# package's service must not start: policy-rc.d refuses it for the install, so nothing is
# left listening on 3478.
coturn:
	@command -v turnserver >/dev/null || $(SUDO) sh -c 'export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq; \
	  if [ -e /usr/sbin/policy-rc.d ]; then apt-get install -y -qq coturn; exit $$?; fi; \
	  printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; \
	  apt-get install -y -qq coturn; rc=$$?; rm -f /usr/sbin/policy-rc.d; exit $$rc'

run: install
	$(VENV)/bin/palabre serve

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: install
	$(VENV)/bin/mypy

unit: install
	$(PY) -m pytest -q -m "not browser"

browser: install chromium coturn nginx
	$(PY) -m pytest -q -m browser

# PYTEST_WORKERS=2 shares the suite out over two processes (xdist): the browser and
# multi-node tests run in two lines, one test at a time in each (tests/conftest.py), about
# 15 minutes instead of 21 on 2 cores; but on 2 cores the media tests then share the CPU
# with everything else and a few timing checks fail now and then. CI runs it in one.
PYTEST_WORKERS ?= 0
test: install chromium coturn nginx lint types
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadscope --durations=25

# Longer runs of the suite's fuzz tests: the API (schemathesis, SQLite and PostgreSQL) and the
# Socket.IO edge (Hypothesis payloads and raw frames), with many more examples each, and whole
# sessions with private meetings, breaks and restarts on a new random seed (printed on failure).
PALABRE_FUZZ_EXAMPLES ?= 200
fuzz: install
	PALABRE_FUZZ_EXAMPLES=$(PALABRE_FUZZ_EXAMPLES) $(PY) -m pytest -q tests/server/test_fuzz_api.py
	PALABRE_FUZZ_EXAMPLES=500 $(PY) -m pytest -q tests/signaling/test_socket_fuzz.py
	PALABRE_FUZZ_SEED=$$(date +%s) PALABRE_FUZZ_STEPS=400 $(PY) -m pytest -q tests/signaling/test_private_meeting_fuzz.py

bench: install
	$(PY) bench/relay.py
	$(PY) bench/e2ee_browser.py
	$(PY) bench/records.py
	$(PY) bench/whiteboard.py
	$(PY) bench/texts.py
	$(PY) bench/nodes.py
	$(PY) bench/anonymise.py
	$(PY) bench/takeover.py

# Regenerate the lock file after changing dependencies in pyproject.toml.
lock:
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/pip install -q ".[dev]" setuptools wheel
	.lockvenv/bin/pip freeze --all --exclude-editable | grep -viE "^(palabre|pip)==" > requirements.lock
	rm -rf .lockvenv

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache test-artifacts
