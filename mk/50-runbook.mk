# The failback runbook (roles + playbooks/failback.yml): the demo and its checks.
#   make demo           (recipe in the top-level Makefile) emulators up, the runbook, the summary, emulators down
#   make ansible-lint   ansible-lint (profile production) on roles, playbooks and the inventory example
#   make molecule       the molecule scenarios of extensions/molecule/ against the emulators
#   make awx-test       the playbook run the way AWX runs it (ansible-runner private data dir), against the emulators
# Each run gets its own emulators on free ports under $(RUNBOOK_EMULATORS)/<target>, and always brings them down.
TEST_STEPS += ansible-lint molecule awx-test

RUNBOOK_CACHE := $(CURDIR)/.cache/runbook
RUNBOOK_COLLECTIONS := $(RUNBOOK_CACHE)/collections
RUNBOOK_EMULATORS := $(CURDIR)/.emulators/runbook
DEMO_INVENTORY := inventory/avs-demo.yml
# The emulators run ASR jobs at 1/100 of real time (ASR_TIME_SCALE, default of the harness): the agent
# registration window of 15 emulated minutes lasts 9 s.
DEMO_ARGS ?= --forks 10 -e preflight_skip_unready=true -e failback_poll_interval=2 -e reprotect_poll_interval=2

# The playbook and ansible-lint find the collection by its FQCN: this repository is linked into a collections path.
.PHONY: runbook-collection
runbook-collection:
	@mkdir -p $(RUNBOOK_COLLECTIONS)/ansible_collections/avsdr
	@ln -sfn $(CURDIR) $(RUNBOOK_COLLECTIONS)/ansible_collections/avsdr/site_recovery

# $(call with_emulators,<command>): run <command> with the emulators up (env.sh sourced, collection on the path).
# The harness is called directly so that its integration_config.yml goes to the run's folder, not to the one
# tests/integration uses.
define with_emulators
	@$(MAKE) --no-print-directory vcsim
	@export EMULATORS_DIR=$(RUNBOOK_EMULATORS)/$@ ASR_EMULATOR_PORT=$(FREE_PORT) VCSIM_PORT=$(FREE_PORT); \
	export INTEGRATION_CONFIG=$(RUNBOOK_EMULATORS)/$@/integration_config.yml; \
	trap '$(HARNESS) down' EXIT; \
	$(HARNESS) up; \
	set -a; . $$EMULATORS_DIR/env.sh; set +a; \
	export ANSIBLE_COLLECTIONS_PATH=$(RUNBOOK_COLLECTIONS) PATH=$(CURDIR)/$(VENV)/bin:$$PATH; \
	$(1)
endef

.PHONY: ansible-lint
ansible-lint: venv runbook-collection
	ANSIBLE_COLLECTIONS_PATH=$(RUNBOOK_COLLECTIONS) PATH=$(CURDIR)/$(VENV)/bin:$$PATH \
	  $(VENV)/bin/ansible-lint --nocolor roles playbooks inventory

# Molecule scenarios in collection mode; the emulators come up once for all of them, each scenario resets them.
MOLECULE_SCENARIOS ?= --all
.PHONY: molecule
molecule: venv runbook-collection
	$(call with_emulators, cd $(CURDIR) && molecule test $(MOLECULE_SCENARIOS))

.PHONY: awx-test
awx-test: venv runbook-collection
	$(call with_emulators, pytest -q tests/awx)
