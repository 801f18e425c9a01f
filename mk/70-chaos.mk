# The fault matrix of issue 12 (tests/chaos): faults injected into the emulated estate through the ASR emulator's
# control API (faults, token expiry, clock), the collection's modules run against it, one table of outcomes.
#   make chaos                       every case (its own emulators on free ports under .emulators/chaos)
#   make chaos CHAOS_ARGS='-k token' some cases
TEST_STEPS += chaos

CHAOS_ARGS ?=

.PHONY: chaos
chaos: venv vcsim runbook-collection
	$(VENV)/bin/pytest -q -p no:cacheprovider -rN tests/chaos $(CHAOS_ARGS)
