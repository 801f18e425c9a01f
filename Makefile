# avsdr.site_recovery — developer entry points.
#   make test   everything CI runs (lint, sanity, unit, emulator contract, integration)
#   make demo   the failback runbook against the embedded emulated Azure + AVS (SCENARIO=modernized|classic)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
BUILD := build
COLLECTION_TREE := $(BUILD)/ansible_collections/avsdr/site_recovery
PY_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')

.PHONY: help
help:
	@echo "make demo      the failback runbook against the emulated Azure + AVS (avs-demo scenario)"
	@echo "make test      run every check CI runs"
	@echo "make venv      create $(VENV) from requirements-dev.txt"
	@echo "make lint | sanity | units | collection-tree | build"
	@echo "make docs | changelog | ee-context | awx-survey | oldest   release readiness (mk/60-release.mk)"

# ---- virtualenv ---------------------------------------------------------------------------------------------------
$(VENV)/.stamp: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -r requirements-dev.txt
	touch $@

.PHONY: venv
venv: $(VENV)/.stamp

include mk/*.mk

# ---- the README's two commands ------------------------------------------------------------------------------------
# Every fragment in mk/ appends its checks to TEST_STEPS. hacking/test_queue.py runs them on TEST_WORKERS workers
# from one queue, the longest first (TEST_ORDER; steps it does not name come after): each step's output printed whole
# when it ends, the first failure stops the run, a table of wall and CPU seconds at the end. Steps that share a folder
# never run at the same time: sanity, integration and release-tests rebuild the copied collection tree under build/;
# bad-inputs and chaos share one emulator folder (.emulators/chaos). TEST_WORKERS=1 runs one step at a time.
# A step is stopped as Ctrl-C stops it (SIGINT: EXIT traps and fixture teardowns bring its emulators down), and
# whatever a step leaves running once its make has ended, emulators included, is killed and named in its output.
TEST_ORDER ?= lint units integration molecule chaos oldest bad-inputs awx-test sanity emulator-tests demo-test \
  vcenter-tests docs-lint docs ansible-lint release-tests report-test awx-lint version-range
TEST_WORKERS ?= 2
.PHONY: test
test: venv vcsim runbook-collection
	@$(VPY) hacking/test_queue.py --workers $(TEST_WORKERS) \
	  --steps "$(filter $(TEST_STEPS),$(TEST_ORDER)) $(filter-out $(TEST_ORDER),$(TEST_STEPS))" \
	  --exclusive "sanity integration release-tests" --exclusive "bad-inputs chaos"

# Emulators up on free ports, the vault as an inventory (the asr plugin), the runbook from it, the summary, emulators
# down (mk/50-runbook.mk).
.PHONY: demo
demo: venv runbook-collection
	@echo "demo: the $(SCENARIO) architecture (make demo SCENARIO=classic|modernized)"
	$(call with_emulators, \
	  ansible-inventory -i $(DEMO_INVENTORY) --graph; \
	  ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ansible-playbook -i $(DEMO_INVENTORY) playbooks/failback.yml $(DEMO_ARGS) \
	    $(DEMO_VARS_$(SCENARIO)) -e summary_report_file=$$EMULATORS_DIR/summary.json; \
	  echo "demo: summary above; as JSON in $$EMULATORS_DIR/summary.json and as Markdown in $$EMULATORS_DIR/summary.md"\
	  ,$(DEMO_SCENARIO_FILE))
	@echo "demo: the failback report (open it in a browser):" \
	  "$(RUNBOOK_EMULATORS)/$@-$(notdir $(basename $(DEMO_SCENARIO_FILE)))/summary.html"
