# Issue 12's fault matrix and bad-input table (tests/chaos), against emulators of their own on free ports
# (.emulators/chaos); faults, token expiry and time go through the ASR emulator's control API, never sleeps.
#   make chaos                       the fault matrix, modules and the runbook playbook: one table of each case's
#                                    outcome (part of `make test`: 25 cases, about 8 minutes and 340 CPU-s on 2 cores)
#   make bad-inputs                  the bad-input table (part of `make test`)
#   make chaos CHAOS_ARGS='-k token' some cases
TEST_STEPS += bad-inputs chaos

CHAOS_ARGS ?=

.PHONY: chaos
chaos: venv vcsim runbook-collection
	$(VENV)/bin/pytest -q -p no:cacheprovider -rN tests/chaos/test_chaos.py $(CHAOS_ARGS)

.PHONY: bad-inputs
bad-inputs: venv vcsim runbook-collection
	$(VENV)/bin/pytest -q -p no:cacheprovider -rN tests/chaos/test_bad_inputs.py $(CHAOS_ARGS)
