# ansible-test integration targets against the emulated Azure + AVS (harness: mk/20-emulators.mk).
#   make integration                                   every target: the classic pass, then the modernized pass
#   make integration INTEGRATION_TARGETS=asr_commit     some targets of the classic pass only
#   make integration INTEGRATION_TARGETS=inventory_asr CLASSIC_SCENARIO=tests/emulators/scenarios/avs-modernized.yml
#                                                      the same on the modernized scenario
TEST_STEPS += integration

INTEGRATION_TARGETS ?=
INTEGRATION_EMULATORS := $(CURDIR)/.emulators/integration
MODERNIZED_TARGETS := asr_modernized_cycle
# Targets that run in both passes (they read the scenario and check each architecture).
BOTH_PASSES_TARGETS := inventory_asr asr_failover_cancel
CLASSIC_SCENARIO := tests/emulators/scenarios/avs-demo.yml
MODERNIZED_SCENARIO := tests/emulators/scenarios/avs-modernized.yml

# $(call integration_pass,<scenario>,<ansible-test arguments>)
# ansible-test hands targets a whitelisted environment only: credentials and the CA bundle reach them through
# tests/integration/integration_config.yml (extra vars), which the harness writes straight into the copied tree.
# The emulators run on free ports of their own and always come down.
define integration_pass
	@export SCENARIO=$(1) EMULATORS_DIR=$(INTEGRATION_EMULATORS) ASR_EMULATOR_PORT=$(FREE_PORT) VCSIM_PORT=$(FREE_PORT); \
	export INTEGRATION_CONFIG=$(abspath $(COLLECTION_TREE))/tests/integration/integration_config.yml; \
	trap '$(HARNESS) down' EXIT; \
	$(HARNESS) up; \
	( cd $(COLLECTION_TREE) && $(CURDIR)/$(VENV)/bin/ansible-test integration --local --python $(PY_VERSION) \
	  --color no $(2) )
endef

.PHONY: integration
integration: venv collection-tree vcsim
ifeq ($(strip $(INTEGRATION_TARGETS)),)
	$(call integration_pass,$(CLASSIC_SCENARIO),$(addprefix --exclude ,$(MODERNIZED_TARGETS)))
	$(call integration_pass,$(MODERNIZED_SCENARIO),$(MODERNIZED_TARGETS) $(BOTH_PASSES_TARGETS))
else
	$(call integration_pass,$(CLASSIC_SCENARIO),$(INTEGRATION_TARGETS))
endif
