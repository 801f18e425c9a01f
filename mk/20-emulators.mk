# The emulated estate: vcsim (AVS vCenter, built from Debian's govmomi) and the ASR emulator, coupled.
#   make emulators-up     build what is missing, start both on loopback, seed, write $(EMULATORS_DIR)/env.sh
#   make emulators-down   stop exactly the processes emulators-up started (pid files)
#   make vcsim            build build/vcsim/vcsim (skipped when a vcsim is on PATH)
# Settings (environment): SCENARIO, ASR_EMULATOR_PORT (8443), VCSIM_PORT (8989), ASR_TIME_SCALE (0.01), EMULATORS_DIR.
TEST_STEPS += vcenter-tests

EMULATORS_DIR ?= .emulators
export EMULATORS_DIR
GOVMOMI_SIMULATOR := /usr/share/gocode/src/github.com/vmware/govmomi/simulator
VCSIM_BUILD := $(BUILD)/vcsim
VCSIM_OURS := $(VCSIM_BUILD)/vcsim
VCSIM_SOURCES := $(wildcard tests/emulators/vcsim/*.go)
HARNESS := $(VPY) tests/emulators/harness/emulators.py
# A free loopback port, for runs that bring up emulators of their own next to others.
FREE_PORT = $$($(VPY) -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# Debian's Go toolchain and govmomi sources, installed only when missing; the package lists are refreshed only
# when the install cannot find the packages.
.PHONY: apt-deps
apt-deps:
	@missing=""; \
	command -v go >/dev/null 2>&1 || missing="golang-go"; \
	[ -d $(GOVMOMI_SIMULATOR) ] || missing="$$missing golang-github-vmware-govmomi-dev"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q $$missing || { apt-get update -q && apt-get install -y -q $$missing; }; \
	fi

# Rebuilt only when our Go source changes; the Go build cache lives under build/ too.
$(VCSIM_OURS): $(VCSIM_SOURCES) | apt-deps
	mkdir -p $(VCSIM_BUILD)
	GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOCACHE=$(CURDIR)/$(VCSIM_BUILD)/gocache \
	  go build -o $@ ./tests/emulators/vcsim

.PHONY: vcsim
vcsim:
	@if command -v vcsim >/dev/null 2>&1; then echo "using $$(command -v vcsim)"; \
	else $(MAKE) --no-print-directory $(VCSIM_OURS); fi

.PHONY: emulators-up
emulators-up: venv vcsim
	$(HARNESS) up

.PHONY: emulators-down
emulators-down: venv
	$(HARNESS) down

.PHONY: emulators-status
emulators-status: venv
	$(HARNESS) status

.PHONY: vcenter-tests
vcenter-tests: venv vcsim
	$(VENV)/bin/pytest -q tests/emulators/tests_vcenter
