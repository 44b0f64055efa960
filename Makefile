# Every step a pull request needs, one target each. `make test` is what CI runs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export MODELFLEET_CACHE ?= $(HOME)/.cache/modelfleet
export PULUMI_SKIP_UPDATE_CHECK := true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION := true

.PHONY: venv lint lint-workflows typecheck check docker images engine test-tools test test-unit up down graph bench test-lab bench-lab lab-clean clean

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# plugin/ and the example each have a __main__.py: checked apart so the names do not clash.
typecheck: venv
	$(BIN)/mypy components policies tests bench
	$(BIN)/mypy plugin
	$(BIN)/mypy examples/python-consumer

lint-workflows:
	"$$(scripts/install-actionlint | tail -1)" .github/workflows/*.yml

check: lint typecheck lint-workflows

docker:
	scripts/start-docker

images: docker
	scripts/build-images

# The Pulumi engine with its Python and YAML language hosts (built once, then cached).
engine:
	scripts/install-pulumi

test-unit: venv test-tools
	$(BIN)/pytest tests/unit tests/policy

test-tools:
	scripts/install-test-tools

# All tiers: unit, policy, integration (real Docker), e2e (real engine). The edge lab runs
# in a pytest process of its own: its Automation API programs run in-process, and the
# SDK's process-wide runtime state left by earlier tiers' programs broke them now and then.
LAB_TESTS := tests/integration/test_lab_rollout.py tests/integration/test_lab_faults.py
test: venv docker images engine test-tools
	PATH="$$(scripts/install-pulumi | tail -1):$$PATH" $(BIN)/pytest tests $(LAB_TESTS:%=--ignore=%)
	PATH="$$(scripts/install-pulumi | tail -1):$$PATH" $(BIN)/pytest $(LAB_TESTS)

# `pulumi up` of the `local` stack, then a prediction from every host; `make down` destroys it.
up: venv docker images engine
	scripts/up-local

down: venv docker engine
	scripts/down-local

# The README's picture of prod-eu; tests/unit/test_fleet_graph.py fails when it is stale.
graph: venv
	$(BIN)/modelfleet graph --stack prod-eu --format svg --policy-config policies/config/prod.json > docs/img/prod-eu.svg.tmp
	mv docs/img/prod-eu.svg.tmp docs/img/prod-eu.svg

bench: venv docker images engine
	PATH="$$(scripts/install-pulumi | tail -1):$$PATH" $(BIN)/python -m bench

# The edge lab alone (root: network namespaces, one dockerd and sshd per host).
test-lab: venv docker images engine test-tools
	PATH="$$(scripts/install-pulumi | tail -1):$$PATH" $(BIN)/pytest -v -rP $(LAB_TESTS)

bench-lab: venv docker images engine test-tools
	PATH="$$(scripts/install-pulumi | tail -1):$$PATH" $(BIN)/python -m bench.lab_rollout --hosts 10 25 50 --modes wide stock

# Removes a lab a killed run left behind (namespaces, engines, data roots).
lab-clean: venv
	$(BIN)/python -m tests.lab clean

clean:
	rm -rf $(VENV) .pulumi-state
