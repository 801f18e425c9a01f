# Issue 12's fault matrix and bad-input table (tests/chaos), against emulators of their own on free ports
# (.emulators/chaos); faults, token expiry and time go through the ASR emulator's control API, never sleeps.
#   make chaos                       the fault matrix, modules and the runbook playbook: one table of each case's
#                                    outcome. Not in `make test`: 25 cases took 13 to 22 minutes on 2 shared cores
#                                    (21 module cases about 4, the playbook kills, ARM at 1/10 and tools-off about 9),
#                                    against 7 minutes for bad-inputs and chaos together (issue 12)
#   make bad-inputs                  the bad-input table (part of `make test`)
#   make chaos CHAOS_ARGS='-k token' some cases
TEST_STEPS += bad-inputs

CHAOS_ARGS ?=

.PHONY: chaos
chaos: venv vcsim runbook-collection
	$(VENV)/bin/pytest -q -p no:cacheprovider -rN tests/chaos/test_chaos.py $(CHAOS_ARGS)

.PHONY: bad-inputs
bad-inputs: venv vcsim runbook-collection
	$(VENV)/bin/pytest -q -p no:cacheprovider -rN tests/chaos/test_bad_inputs.py $(CHAOS_ARGS)
