# avsdr.site_recovery — developer entry points.
#   make test   everything CI runs (lint, sanity, unit, emulator contract, integration)
#   make demo   the failback runbook against the embedded emulated Azure + AVS (once it exists)
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
	@echo "make test      run every check CI runs"
	@echo "make venv      create $(VENV) from requirements-dev.txt"
	@echo "make lint | sanity | units | collection-tree | build"

# ---- virtualenv ---------------------------------------------------------------------------------------------------
$(VENV)/.stamp: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -r requirements-dev.txt
	touch $@

.PHONY: venv
venv: $(VENV)/.stamp

include mk/*.mk
