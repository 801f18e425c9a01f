# Issue 12's fault matrix and bad-input table (tests/chaos), against emulators of their own on free ports
# (.emulators/chaos); faults, token expiry and time go through the ASR emulator's control API, never sleeps.
#   make chaos                       the fault matrix: one table of each case's outcome (its own CI step: about
#                                    2 to 7 minutes on 2 shared cores, more than `make test`'s 30-minute budget allows)
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
