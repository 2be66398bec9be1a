# Portico: `make run` starts the local stack, `make test` runs every test.
# Both set up what they need on a fresh machine (Python 3.11 and make).

PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: chromium run test lint agent-token resend bench infra-check clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) -m devtools.run

# The browser tests drive Debian's chromium (never a downloaded browser); install it when missing.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium; }

test: $(STAMP) chromium
	$(PY) -m pytest -n 2 -q
	$(MAKE) lint

lint: $(STAMP)
	$(PY) -m ruff check .

# Performance against bench/budgets.json: one table, also bench/results.json. BENCH_ARGS="--only calls".
bench: $(STAMP)
	$(PY) -m bench $(BENCH_ARGS)

agent-token: $(STAMP)
	@$(PY) -m devtools.agent_token

clean:
	rm -rf $(VENV) .local test-output
