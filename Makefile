# genesyscloud.sso — developer entry points. Everything runs from a fresh clone:
# `make venv` (implied by every target) creates .venv with Python 3.11 and ansible-core 2.19.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PY312 := $(shell pyenv prefix 3.12.1 2>/dev/null || pyenv prefix 3.12 2>/dev/null)
GATES := $(PY) tools/gates.py

.PHONY: help venv venv312 deps variants test lint sanity units integration emulator-tests devkit-tests e2e reliability molecule docs build bench bench-quick demo test-312 clean

help:
	@echo "make demo   - start the bundled Genesys Cloud emulator and run playbooks/configure_sso.yml (check, apply, re-run)"
	@echo "make test   - every quality gate; ends with 'total: N passed, M failed'"
	@echo "pieces: lint sanity units integration emulator-tests devkit-tests e2e reliability molecule build docs bench test-312"

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# Python 3.12 leg (ansible-core 2.21): only where pyenv has a 3.12 interpreter.
venv312:
	@if [ -z "$(PY312)" ]; then echo "venv312: no Python 3.12 under pyenv; the 3.12 leg will be skipped"; \
	elif [ ! -f .venv312/.installed ] || [ requirements-dev-312.txt -nt .venv312/.installed ]; then \
	  "$(PY312)/bin/python3.12" -m venv .venv312 && .venv312/bin/python -m pip install --quiet --upgrade pip && \
	  .venv312/bin/python -m pip install --quiet -r requirements-dev-312.txt && touch .venv312/.installed; fi

# System packages the gates need (shellcheck for the sanity test of that name).
deps:
	@command -v shellcheck >/dev/null || { if [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && apt-get install -y -qq shellcheck) >/dev/null; \
	  else echo "shellcheck missing: install it (apt-get install shellcheck)"; fi; }
	@command -v chromium >/dev/null || { if [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; \
	  else echo "chromium missing: install it (apt-get install chromium) for the HTML report test"; fi; }
	@command -v xmlsec1 >/dev/null || { if [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && apt-get install -y -qq xmlsec1) >/dev/null; \
	  else echo "xmlsec1 missing: install it (apt-get install xmlsec1)"; fi; }

# The official JavaScript SDK for emulator/tests/test_sdk_fidelity_js.py, pinned by its package-lock.json.
# Without npm this only says so: the test then fails and names the fix (.ci/run installs nodejs npm).
JS_SDK := emulator/tests/js/node_modules/.installed
$(JS_SDK): emulator/tests/js/package.json emulator/tests/js/package-lock.json
	@if command -v npm >/dev/null; then \
	  cd emulator/tests/js && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "npm missing: install it (apt-get install nodejs npm) for the JavaScript SDK fidelity test"; fi

test: venv venv312 deps $(JS_SDK)
	$(GATES) all

lint: venv
	$(GATES) lint
sanity: venv deps
	$(GATES) sanity
units: venv
	$(GATES) units
integration: venv
	$(GATES) integration
emulator-tests: venv deps $(JS_SDK)
	$(GATES) emulator
devkit-tests: venv
	$(GATES) devkit
e2e: venv
	$(GATES) e2e
reliability: venv
	$(GATES) reliability
molecule: venv
	$(GATES) molecule
build: venv
	$(GATES) build
docs: venv
	$(GATES) docs
test-312: venv venv312
	$(GATES) py312

# Mutation testing of the domain, the client and the safety code (mutmut, in a throwaway copy under
# /tmp, niced, time-bounded; not part of `make test`). Writes docs/mutation.md and the score block of
# docs/reliability.md. MUTATION_ARGS e.g. "--budget 900 --worktree".
.PHONY: mutation
mutation: venv
	nice -n 19 $(PY) tools/mutation.py $(MUTATION_ARGS)

# Issue 14: the role and the modules on every emulator platform variant with the real figures (read lag 120 s,
# listing lag 60 s; several minutes). make test runs the same file scaled down (VARIANTS_SCALE 1/80).
variants: venv
	VARIANTS_SCALE=1 ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.collections PYTHONPATH=$(CURDIR)/emulator \
	  $(PY) -m pytest -q -p no:cacheprovider tests/e2e/test_variants_e2e.py

bench: venv
	$(PY) bench/run.py
bench-quick: venv
	$(PY) bench/run.py --quick

# make demo: an existing dev venv (.venv) is used as it is; otherwise a lean one (.venv-demo, requirements-demo.txt:
# runtime + ansible-core + emulator, a small part of the dev toolchain's download and install time).
DEMO_VENV := .venv-demo
DEMO_STAMP := $(DEMO_VENV)/.installed
$(DEMO_STAMP): requirements.txt requirements-demo.txt
	test -x $(DEMO_VENV)/bin/python || $(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(DEMO_VENV)/bin/python -m pip install --quiet -r requirements-demo.txt
	touch $(DEMO_STAMP)

demo:
	@if [ -f $(STAMP) ]; then VENV="$(CURDIR)/$(VENV)" bash tools/demo.sh; \
	else $(MAKE) --no-print-directory $(DEMO_STAMP) && VENV="$(CURDIR)/$(DEMO_VENV)" bash tools/demo.sh; fi

clean:
	rm -rf build .collections tests/output .venv-demo emulator/tests/js/node_modules
