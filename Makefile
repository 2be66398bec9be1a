# Portico: `make run` starts the local stack, `make test` runs every test.
# Both set up what they need on a fresh machine (Python 3.13 and make).

# The first Python 3.13 found: on PATH, else a pyenv install (pyenv's shim answers only for the
# selected version), else the system's. `make PYTHON=/path/to/python3.13` overrides.
PYTHON ?= $(shell for p in python3.13 $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13*/bin/python3.13 \
                  /usr/local/bin/python3.13 /usr/bin/python3.13; do \
                  "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null && { echo "$$p"; break; }; \
                done)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: chromium run test lint fuzz mail mail-in mail-ops mail-feedback reindex-clients agent-token resend bench infra-check clean bootstrap deploy destroy rollback

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || { test -n "$(PYTHON)" && $(PYTHON) -m venv $(VENV); } || \
	  { echo "needs Python 3.13 (make PYTHON=/path/to/python3.13)"; exit 1; }
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

test: $(STAMP) chromium infra-check
	$(PY) -m pytest -n 2 -q
	$(MAKE) lint

# bandit: fail on any medium or high finding (config and exclusions in pyproject.toml).
lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m bandit -c pyproject.toml -r . -q -ll

# schemathesis over every route of /openapi.json, deeper than `make test` runs it, random each time.
fuzz: $(STAMP)
	PORTICO_FUZZ_EXAMPLES=$(or $(EXAMPLES),200) PORTICO_FUZZ_RANDOM=1 $(PY) -m pytest -q -n 2 tests/api/test_fuzz_openapi.py

# Performance against bench/budgets.json: one table, also bench/results.json. BENCH_ARGS="--only calls".
bench: $(STAMP)
	$(PY) -m bench $(BENCH_ARGS)

# The email the running local stack's SES has sent (activation links included).
mail: $(STAMP)
	@$(PY) -m devtools.mail

# The outbox for ops (README "Mail operations"): ARGS="list --status failed", ARGS="requeue ID",
# ARGS="--stage prod list --since 2h". Queries only.
mail-ops: $(STAMP)
	@$(PY) -m devtools.mail_ops $(ARGS)

# Hand the local stack's feedback handler the SNS message SES would send (moto's simulator cannot).
mail-feedback: $(STAMP)
	@$(PY) -m devtools.mail_feedback --email "$(EMAIL)" --type $(or $(TYPE),bounce)

# Put a raw message (.eml) where SES receiving would: the local stack makes it a note or a ticket.
mail-in: $(STAMP)
	@test -n "$(FILE)" || { echo "usage: make mail-in FILE=message.eml"; exit 1; }
	@$(PY) -m devtools.mail_in "$(FILE)"

# Once after deploying the client directory (docs/operations.md): its search items for every
# client written before it. ARGS="--stage prod" for a deployed stage. Queries only; safe to rerun.
reindex-clients: $(STAMP)
	@$(PY) -m devtools.reindex_clients $(ARGS)

agent-token: $(STAMP)
	@$(PY) -m devtools.agent_token

resend: $(STAMP)
	@$(PY) -m devtools.resend --days $(or $(DAYS),0)

clean:
	rm -rf $(VENV) .local test-output

# ---- infra (CDK app in infra/; see README "Deploy") ----
INFRA_STAMP := $(VENV)/.infra-installed
CDK := npx --yes aws-cdk@2
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

$(INFRA_STAMP): $(STAMP) infra/requirements.txt
	$(PY) -m pip install --quiet -r infra/requirements.txt
	@touch $(INFRA_STAMP)

# Offline: synthesize the stage (default prod, the strictest), write infra/out/template.json,
# fail on any cdk-nag AwsSolutions error, then cfn-lint the template.
infra-check: STAGE ?= prod
infra-check: $(INFRA_STAMP)
	$(PY) infra/app.py -c stage=$(STAGE)
	$(VENV)/bin/cfn-lint infra/out/template.json

# Deploy with your AWS credentials (README "Deploy"): the CDK CLI comes from npm (npx).
bootstrap: $(INFRA_STAMP)
	$(CDK) bootstrap

deploy: $(INFRA_STAMP)
	$(PY) infra/deploy.py --stage $(or $(STAGE),dev) $(CDK_ARGS)

destroy: $(INFRA_STAMP)
	$(PY) infra/deploy.py --stage $(or $(STAGE),dev) --destroy $(CDK_ARGS)

# Canary releases (docs/operations.md): every function's `live` alias back to its previous
# version; FUNCTION=APIHandler for one, VERSION=12 for a given one.
rollback: $(INFRA_STAMP)
	$(PY) infra/rollback.py --stage $(or $(STAGE),dev)
