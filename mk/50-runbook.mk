# The failback runbook (roles + playbooks/failback.yml): the demo and its checks.
#   make demo           (recipe in the top-level Makefile) emulators up, the runbook, the summary, emulators down;
#                       SCENARIO=modernized (default: the replication appliance, the architecture Azure still runs)
#                       or SCENARIO=classic (configuration server, process server, master target)
#   make demo-test      the demo on both architectures, each summary checked (part of `make test`)
#   make ansible-lint   ansible-lint (profile production) on roles, playbooks and the inventory examples
#   make molecule       the molecule scenarios of extensions/molecule/ against the emulators
#   make awx-test       the playbook run the way AWX runs it (ansible-runner private data dir), against the emulators
# Each run gets its own emulators on free ports under $(RUNBOOK_EMULATORS)/<target>, and always brings them down.
TEST_STEPS += ansible-lint molecule awx-test demo-test

RUNBOOK_CACHE := $(CURDIR)/.cache/runbook
RUNBOOK_COLLECTIONS := $(RUNBOOK_CACHE)/collections
RUNBOOK_EMULATORS := $(CURDIR)/.emulators/runbook
# The demo's inventory is the emulated vault itself, through the avsdr.site_recovery.asr inventory plugin (the vault's
# names come from env.sh, so one file serves both scenarios); inventory/avs-demo.yml stays the static example.
DEMO_INVENTORY := inventory/demo.asr.yml
# The demo's architecture: a scenario name picks the emulated estate and the run inputs that are no inventory facts.
SCENARIO ?= modernized
DEMO_SCENARIO_FILE_modernized := tests/emulators/scenarios/avs-modernized.yml
DEMO_SCENARIO_FILE_classic := tests/emulators/scenarios/avs-demo.yml
DEMO_VARS_modernized := -e reprotect_process_server=ps-appliance-01
DEMO_VARS_classic := -e reprotect_process_server=ps-onprem-01 -e failback_source_vm_resource_group=rg-avs-dr
DEMO_SCENARIO_FILE = $(or $(DEMO_SCENARIO_FILE_$(SCENARIO)),$(error SCENARIO must be modernized or classic, not '$(SCENARIO)'))
# The emulators run ASR jobs at 1/100 of real time (ASR_TIME_SCALE, default of the harness): the agent
# registration window of 15 emulated minutes lasts 9 s. The data-loss limit of 30 minutes leaves app-lin-05 out:
# its replication lags 45 minutes behind (the scenarios' replication_lag_minutes), so the guard shows in the demo.
DEMO_ARGS ?= --forks 10 -e preflight_skip_unready=true -e failback_poll_interval=2 -e reprotect_poll_interval=2 \
  -e failback_max_data_loss=30m

# The playbook and ansible-lint find the collection by its FQCN: this repository is linked into a collections path
# (replaced only when it points elsewhere: steps running side by side read it).
.PHONY: runbook-collection
runbook-collection:
	@mkdir -p $(RUNBOOK_COLLECTIONS)/ansible_collections/avsdr
	@link=$(RUNBOOK_COLLECTIONS)/ansible_collections/avsdr/site_recovery; \
	  [ "$$(readlink $$link)" = "$(CURDIR)" ] || ln -sfn $(CURDIR) $$link

# $(call with_emulators,<command>[,<scenario file>]): run <command> with the emulators up (env.sh sourced, collection
# on the path), on the given scenario (default: the harness's, avs-demo).
# The harness is called directly so that its integration_config.yml goes to the run's folder, not to the one
# tests/integration uses.
define with_emulators
	@$(MAKE) --no-print-directory vcsim
	@export EMULATORS_DIR=$(RUNBOOK_EMULATORS)/$@$(if $(2),-$(notdir $(basename $(2)))) \
	  ASR_EMULATOR_PORT=$(FREE_PORT) VCSIM_PORT=$(FREE_PORT) $(if $(2),SCENARIO=$(CURDIR)/$(2)); \
	export INTEGRATION_CONFIG=$$EMULATORS_DIR/integration_config.yml; \
	trap '$(HARNESS) down' EXIT; \
	$(HARNESS) up; \
	set -a; . $$EMULATORS_DIR/env.sh; set +a; \
	export ANSIBLE_COLLECTIONS_PATH=$(RUNBOOK_COLLECTIONS) PATH=$(CURDIR)/$(VENV)/bin:$$PATH; \
	$(1)
endef

.PHONY: ansible-lint
# A HOME of its own: a copy of the collection another tool installed under ~/.ansible/collections (molecule's
# collection mode, an older release) would otherwise be linted against instead of this tree.
ansible-lint: venv runbook-collection
	mkdir -p $(CURDIR)/.cache/ansible-lint-home
	HOME=$(CURDIR)/.cache/ansible-lint-home ANSIBLE_COLLECTIONS_PATH=$(RUNBOOK_COLLECTIONS) PATH=$(CURDIR)/$(VENV)/bin:$$PATH \
	  $(VENV)/bin/ansible-lint --nocolor roles playbooks inventory

# Molecule scenarios in collection mode; the emulators come up once per architecture, each scenario resets them.
# The scenarios in MOLECULE_MODERNIZED need the modernized architecture (InMageRcmFailback offers CancelFailover):
# they run against the avs-modernized scenario, the others against avs-demo (classic).
MOLECULE_SCENARIOS ?= --all
MOLECULE_MODERNIZED := change_point
molecule_named = $(filter-out -s --scenario-name --all,$(MOLECULE_SCENARIOS))
ifneq ($(filter --all,$(MOLECULE_SCENARIOS)),)
MOLECULE_CLASSIC_ARGS := --all $(addprefix --exclude ,$(MOLECULE_MODERNIZED))
MOLECULE_MODERNIZED_ARGS := $(addprefix -s ,$(MOLECULE_MODERNIZED))
else
MOLECULE_CLASSIC_ARGS = $(addprefix -s ,$(filter-out $(MOLECULE_MODERNIZED),$(molecule_named)))
MOLECULE_MODERNIZED_ARGS = $(addprefix -s ,$(filter $(MOLECULE_MODERNIZED),$(molecule_named)))
endif
.PHONY: molecule
molecule: venv runbook-collection
	$(if $(strip $(MOLECULE_CLASSIC_ARGS)),$(call with_emulators, cd $(CURDIR) && molecule test $(MOLECULE_CLASSIC_ARGS)))
	$(if $(strip $(MOLECULE_MODERNIZED_ARGS)),$(call with_emulators, cd $(CURDIR) && molecule test $(MOLECULE_MODERNIZED_ARGS),$(DEMO_SCENARIO_FILE_modernized)))

.PHONY: awx-test
awx-test: venv runbook-collection
	$(call with_emulators, pytest -q tests/awx)

# The demo a newcomer runs (the default, modernized architecture); its summary must show the four failback-ready VMs
# reprotected and the three unready ones (one beyond the data-loss limit) left alone with their reason. The classic
# demo (SCENARIO=classic) is the same playbook, inventory and extra vars that `make oldest` runs and checks the same
# way on the oldest supported ansible-core (oldest-runbook), and awx-test runs on the current one.
.PHONY: demo-test
demo-test: venv runbook-collection
	$(MAKE) --no-print-directory demo SCENARIO=modernized
	$(VPY) tests/demo/check_summary.py $(RUNBOOK_EMULATORS)/demo-avs-modernized/summary.json
