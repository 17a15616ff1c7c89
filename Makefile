# budgetwarden — every target sets up what it needs on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: help venv tools controlplane helm live lint format test test-fast bench demo clean image release

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml devtools/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' -e ./devtools
	touch $(STAMP)

venv: $(STAMP) ## create .venv with budgetwarden and the dev tools

tools: ## install prometheus, promtool, alertmanager, amtool (Debian packages) when missing
	@bash scripts/ensure-prometheus.sh

controlplane: ## build (or reuse from the cache) kube-apiserver and etcd; prints their folder
	@bash hack/controlplane/build.sh

helm: ## build (or reuse from the cache) helm for the chart tests; prints its path
	@bash hack/helm/build.sh

live: ## build (or reuse from the cache) the live cluster's binaries; prints their paths
	@bash hack/live/build.sh

lint: venv ## ruff, mypy --strict on core, import-linter layer contracts
	$(BIN)/ruff check operator tests bench devtools hack
	$(BIN)/ruff format --check operator tests bench devtools hack
	$(BIN)/mypy
	$(BIN)/lint-imports

format: venv ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix operator tests bench devtools hack
	$(BIN)/ruff format operator tests bench devtools hack

test-fast: venv ## the pure-core tests only (seconds)
	$(BIN)/pytest -q -m "not promtool and not cluster and not e2e and not packaging and not image and not live and not backends" $(PYTEST_ARGS)

test: venv tools lint ## everything: lint, core, promtool, real apiserver, real Prometheus
	bash hack/live/build.sh >/dev/null
	bash hack/backends/build.sh >/dev/null
	KUBEBUILDER_ASSETS="$$(bash hack/controlplane/build.sh)" $(BIN)/pytest -q -ra $(PYTEST_ARGS)

bench: venv tools ## benchmarks, printed as tables
	$(BIN)/python -m bench

demo: venv tools ## the whole loop on this machine and a drill that burns budget (a few minutes)
	bash scripts/demo.sh

image: ## the operator image, built with buildah from Debian packages, and its SBOM in dist/
	@bash hack/image/build.sh

release: venv ## wheel, sdist, chart, image, SBOM and SHA256SUMS in dist/; fails if versions disagree
	@bash hack/release/build.sh

clean: ## remove the virtual environment and caches (not the control-plane binaries)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
