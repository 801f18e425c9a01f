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
# Every fragment in mk/ appends its checks to TEST_STEPS. They run in two lanes side by side (hacking/test_lanes.py:
# each step's output printed whole when it ends, the first failure stops both lanes, a table of wall and CPU seconds
# at the end). Lane 1 holds the steps that rebuild the copied collection tree under build/ (sanity, integration,
# release-tests): they must not overlap; so must bad-inputs and chaos (one emulator folder, .emulators/chaos). TEST_LANES=1
# runs every step in one lane.
TEST_LANE_1 ?= lint sanity integration release-tests oldest bad-inputs chaos
TEST_LANES ?= 2
.PHONY: test
test: venv vcsim runbook-collection
ifeq ($(TEST_LANES),1)
	@$(VPY) hacking/test_lanes.py --lane "$(TEST_STEPS)"
else
	@$(VPY) hacking/test_lanes.py --lane "$(filter $(TEST_LANE_1),$(TEST_STEPS))" \
	  --lane "$(filter-out $(TEST_LANE_1),$(TEST_STEPS))"
endif

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
