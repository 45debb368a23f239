# Every target bootstraps what it needs: system packages (as root, or through sudo) and .venv.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
SUDO    := $(if $(filter 0,$(shell id -u)),,sudo)
PYTEST  := $(PY) -m pytest
RESULTS := .results
# The Redis users' passwords (compose/redis/acl.py), written on first use into a gitignored directory.
SECRETS := compose/secrets
COMPOSE := docker compose --env-file $(SECRETS)/redis.env -f compose/compose.yaml

.PHONY: help bootstrap system system-redis venv lint unit checks suite suite-postgres test demo scorecard-doc up diff clean
.PHONY: compose-check compose-up compose-down compose-test kubernetes-check
.PHONY: swarm-up swarm-down swarm-test
.PHONY: docs docs-check step steps
.PHONY: bench bench-smoke
.PHONY: drills drills-doc

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

bootstrap: system venv  ## install system packages and the Python environment

# Debian packages, each installed only when missing (as root, or through sudo).
define apt_install
missing=""; for package in $(1); do dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
[ -z "$$missing" ] || { $(SUDO) apt-get update -qq && \
  $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; }
endef

system:  ## nginx, redis-server, PostgreSQL (suite-postgres), chromium (browser journey) and wrk (make bench) from the distribution
	@$(call apt_install,nginx redis-server postgresql chromium wrk)

system-redis:  ## redis-server alone, for the trees' in-process tests
	@$(call apt_install,redis-server)

venv: $(STAMP)
$(STAMP): requirements-dev.txt before/requirements.txt after/requirements.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@

lint: venv  ## ruff over both trees and the suite
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

unit: venv system-redis  ## each tree's in-process tests, the same files in both, beside their own Redis and S3
	$(PY) -m harness run -- bash -c 'cd before && ../$(PYTEST) -q'
	$(PY) -m harness run -- bash -c 'cd after && ../$(PYTEST) -q'

checks: venv  ## the stateless_checks package's own tests, then what it reports on each tree
	cd stateless_checks && ../$(PYTEST) -q
	cd before && ../$(PY) manage.py check --tag stateless
	@# A replica always gets DATABASE_URL (compose's here); unset, settings fall back to a SQLite file, which W061 reports.
	cd after && DATABASE_URL=postgres://shop:shop@postgres:5432/shop_after ../$(PY) manage.py check --tag stateless --fail-level WARNING
	@# And the shared store's setup, with the Redis passwords a replica always gets too (any value: W006 asks that there is one).
	cd after && DATABASE_URL=postgres://shop:shop@postgres:5432/shop_after REDIS_SESSIONS_PASSWORD=set REDIS_LIMITS_PASSWORD=set \
	  REDIS_CHANNELS_PASSWORD=set REDIS_CACHE_PASSWORD=set ../$(PY) manage.py check --tag stateless_hardening --fail-level WARNING

suite: bootstrap  ## the behavioral suite on every topology, checked against tests/expected.toml
	$(PYTEST) tests -v --results $(RESULTS)/suite.json
	$(PY) -m tests.scorecard $(RESULTS)/suite.json

suite-postgres: bootstrap  ## after x2 once more, on a PostgreSQL server of its own (or the one DATABASE_URL names)
	$(PYTEST) tests -q --topology after-2 --database postgres

test: lint docs-check compose-check kubernetes-check unit checks suite suite-postgres bench-smoke drills  ## everything CI runs, compose-test and swarm-test too where a Docker engine works
	@if docker compose version >/dev/null 2>&1 && docker info >/dev/null 2>&1; then $(MAKE) compose-test swarm-test; \
	else echo "docker compose does not work here: compose-test and swarm-test skipped"; fi

compose-check: venv  ## the compose files against the Compose Specification, the Dockerfile through hadolint
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec compose/compose.yaml compose/compose.test.yaml
	$(VENV)/bin/hadolint compose/Dockerfile

kubernetes-check: venv  ## every compose/kubernetes overlay rendered and validated for Kubernetes 1.36 and 1.37, then their properties
	compose/kubernetes/check.sh
	$(PYTEST) tests/test_kubernetes.py -q

# Again when acl.py names a user redis.env has no password for yet: it adds one, and keeps the others.
$(SECRETS)/redis.env: compose/redis/acl.py
	python3 compose/redis/acl.py $(SECRETS) && touch $@

compose-up: $(SECRETS)/redis.env  ## both shops under Docker Compose: before x2 on :8001, after x2 on :8002, MinIO on :9000
	$(COMPOSE) up -d --build --wait
	@echo "before/: http://127.0.0.1:8001   after/: http://127.0.0.1:8002   stop with: make compose-down"

compose-down: $(SECRETS)/redis.env  ## stop the Compose stacks and drop their volumes
	$(COMPOSE) down -v --remove-orphans

# compose.test.yaml also publishes each replica on an ephemeral 127.0.0.1 port, for the A/B tests.
compose-test: venv $(SECRETS)/redis.env  ## both shops under Docker Compose, the suite against :8001 and :8002, a redeploy under load (.results/deploys-compose.md), then down
	@trap 'rc=$$?; [ $$rc = 0 ] || $(COMPOSE) -f compose/compose.test.yaml logs --tail 30; \
	  $(COMPOSE) -f compose/compose.test.yaml down -v --remove-orphans --timeout 5 >/dev/null 2>&1' EXIT; \
	$(COMPOSE) -f compose/compose.test.yaml down -v --remove-orphans >/dev/null 2>&1; \
	$(COMPOSE) -f compose/compose.test.yaml up -d --build --wait --wait-timeout 300; \
	$(PYTEST) tests -v --topology compose-before-2 --topology compose-after-2 --results $(RESULTS)/compose.json; \
	$(PY) -m tests.scorecard $(RESULTS)/compose.json; \
	$(PY) -m harness spread; \
	$(PY) -m drills.deploys --compose

# Swarm ignores build:, so compose builds the images the stacks name (compose/swarm.py derives them
# from compose.yaml). Ports of their own, so the compose stacks can run alongside.
swarm-up: venv $(SECRETS)/redis.env  ## both shops on a one-node Docker Swarm: before x2 on :8011, after x2 on :8012, MinIO on :9010
	$(COMPOSE) build before-web after-web
	$(PY) -m harness swarm-up
	@echo "stop with: make swarm-down"

swarm-down: venv  ## remove the Swarm stacks and their volumes, and leave the swarm if swarm-up joined it
	$(PY) -m harness swarm-down

# With --test each replica also publishes :8000 on a random host port, for the A/B tests. The drills
# build and roll out version 2: the tree with drills/version-2.patch, APP_VERSION=2, compose's Dockerfile.
swarm-test: venv $(SECRETS)/redis.env  ## both shops on Docker Swarm, the suite against :8011 and :8012, the deploy drills (.results/deploys.md), then down
	@trap 'rc=$$?; [ $$rc = 0 ] || for stack in shop-before shop-after; do docker stack ps $$stack 2>/dev/null | head -20 || true; done; \
	  $(PY) -m harness swarm-down' EXIT; \
	start=$$(date +%s); \
	$(COMPOSE) build --quiet before-web after-web; \
	$(PY) -m harness swarm-up --test; \
	$(PYTEST) tests -v --topology swarm-before-2 --topology swarm-after-2 --results $(RESULTS)/swarm.json; \
	$(PY) -m tests.scorecard $(RESULTS)/swarm.json; \
	$(PY) -m drills.deploys; \
	echo "swarm-test wall time: $$(( $$(date +%s) - start ))s"

demo: bootstrap  ## both shops on one and two replicas, the suite, the before/after scorecard (.results/scorecard.md)
	@start=$$(date +%s); \
	$(PYTEST) tests -v --results $(RESULTS)/suite.json; \
	$(PY) -m tests.scorecard $(RESULTS)/suite.json --markdown $(RESULTS)/scorecard.md $(SCORECARD_DOC); \
	echo "wall time: $$(( $$(date +%s) - start ))s; written to $(RESULTS)/scorecard.md"

scorecard-doc:  ## make demo, and the scorecard into docs/scorecard.md
	$(MAKE) demo SCORECARD_DOC=--doc

up: bootstrap  ## before x2 on :8001 and after x2 on :8002 for browsing, until Ctrl-C
	$(PY) -m harness up before-2=8001 after-2=8002

bench: bootstrap  ## what statelessness costs: before x1 against after x1 (and x2), written to docs/benchmarks.md
	$(PY) -m bench.run

bench-smoke: bootstrap  ## every benchmark for a second, to keep `make bench` working (asserts nothing about speed)
	$(PY) -m bench.run --smoke --output $(RESULTS)/bench-smoke.md

drills: bootstrap  ## bad inputs, a killed replica, a rolling restart, Redis and S3 outages on after x2, then before x2 with sticky sessions for contrast (.results/drills.md)
	$(PY) -m drills.run

drills-doc: bootstrap  ## make drills, and its tables into docs/drills.md
	$(PY) -m drills.run --doc

diff:  ## the refactoring, as one diff
	@diff -ruN -X .diffignore before after || true

docs: venv  ## regenerate docs/steps/*.patch from the trees and refresh every excerpt in docs/*.md
	$(PY) docs/steps/build.py write

docs-check: venv  ## the patches, before/ + patches == after/, and every excerpt in docs/ match the real files
	$(PY) docs/steps/build.py check
	$(PYTEST) -q bench/test_report.py

step: bootstrap  ## before/ + the steps 1..N in .results/steps/NN, the suite on before-2 against it (N=3)
	$(PY) docs/steps/build.py step $(N)

steps: bootstrap  ## every step on before-2 in turn, the measured table in docs/steps.md
	$(PY) docs/steps/build.py steps

clean:  ## remove the environment and every generated file
	rm -rf $(VENV) $(RESULTS) before/var after/var before/staticfiles after/staticfiles
