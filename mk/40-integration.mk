# ansible-test integration targets against the emulated Azure + AVS (harness: mk/20-emulators.mk).
#   make integration                                  every target
#   make integration INTEGRATION_TARGETS=asr_commit    some of them
TEST_STEPS += integration

INTEGRATION_TARGETS ?=
INTEGRATION_EMULATORS := $(CURDIR)/.emulators/integration

# ansible-test hands targets a whitelisted environment only: credentials and the CA bundle reach them through
# tests/integration/integration_config.yml (extra vars), which the harness writes straight into the copied tree.
# The emulators run on free ports of their own and always come down.
.PHONY: integration
integration: venv collection-tree vcsim
	@export EMULATORS_DIR=$(INTEGRATION_EMULATORS) ASR_EMULATOR_PORT=$(FREE_PORT) VCSIM_PORT=$(FREE_PORT); \
	export INTEGRATION_CONFIG=$(abspath $(COLLECTION_TREE))/tests/integration/integration_config.yml; \
	trap '$(HARNESS) down' EXIT; \
	$(HARNESS) up; \
	( cd $(COLLECTION_TREE) && $(CURDIR)/$(VENV)/bin/ansible-test integration --local --python $(PY_VERSION) \
	  --color no $(INTEGRATION_TARGETS) )
