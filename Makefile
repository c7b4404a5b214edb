# The two commands: `make run` (the app with the demo city) and `make test` (every test).
# Both install what they need and are safe to run again.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export FRONTDOOR_DATA_DIR ?= $(CURDIR)/instance

.PHONY: run test lint bench fuzz load services serverless-cli deploy clean

run: $(VENV)/.runtime
	$(BIN)/flask --app backend demo load
	$(BIN)/gunicorn --config backend/gunicorn.conf.py --bind 127.0.0.1:$(PORT) "backend:create_app()"

test: $(VENV)/.test services serverless-cli
	$(BIN)/ruff check backend tests
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.test
	$(BIN)/ruff check backend tests

bench: $(VENV)/.test services
	$(BIN)/python -m tests.bench

# The long fuzz run: FUZZ_EXAMPLES freshly random examples per API operation, both databases
# (the test suite runs a few repeatable ones).
FUZZ_EXAMPLES ?= 300
fuzz: $(VENV)/.test services
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/hardening/test_fuzz.py -q

# The long load run: residents, dispatch and crews against gunicorn, clean and with a worker
# killed and the server restarted, on both databases; then nothing lost or doubled.
load: $(VENV)/.test services
	$(BIN)/python -m tests.bench load

# The services tests talk to: PostgreSQL (running on this machine kind) with PostGIS, and Debian's
# Chromium for the browser tests (Playwright drives it; it never downloads a browser).
services:
	@pg_lsclusters -h 2>/dev/null | grep -q online || \
		pg_ctlcluster --skip-systemctl-redirect "$$(ls /etc/postgresql | head -n1)" main start
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	@v=$$(ls /etc/postgresql | head -n1); dpkg -s postgresql-$$v-postgis-3 >/dev/null 2>&1 || \
		(apt-get update && apt-get install -y postgresql-$$v-postgis-3)

$(VENV)/.runtime: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.runtime
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

# The Serverless Framework v3 CLI and its Python-requirements plugin, pinned by
# .ci/serverless/package-lock.json (the packaging test and `make deploy` use them).
SLS := .ci/serverless/node_modules/.bin/sls
serverless-cli: .ci/serverless/node_modules/.installed
.ci/serverless/node_modules/.installed: .ci/serverless/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: the packaging test will be skipped"; exit 0; }; \
		cd .ci/serverless && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed

# STAGE=prod PARAMS='--param=subnetA=… --param=subnetB=… --param=securityGroupId=… …'
# Bundles the dependency versions installed in the venv (those the tests ran with).
deploy: serverless-cli $(VENV)/.runtime
	$(BIN)/python .ci/lambda_requirements.py --wheelhouse .ci/wheelhouse > .ci/lambda-requirements.txt
	FRONTDOOR_PYTHON=$(BIN)/python $(SLS) deploy --stage $(STAGE) $(PARAMS)
	$(SLS) invoke --stage $(STAGE) --function migrate

clean:
	rm -rf $(VENV) instance
