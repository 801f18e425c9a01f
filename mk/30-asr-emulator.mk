# The ASR emulator (tests/emulators/asr): its contract tests run the real azure-identity and Site Recovery SDK
# against it over HTTPS.
#   make emulator-tests   the contract tests (part of `make test`)
#   make emulator-bench   start-up time and sustained authenticated GETs per second (prints figures; not a test)
TEST_STEPS += emulator-tests

ASR_EMULATOR_DIR := tests/emulators/asr

.PHONY: emulator-tests
emulator-tests: venv
	$(VENV)/bin/pytest -q -p no:cacheprovider $(ASR_EMULATOR_DIR)/tests

.PHONY: emulator-bench
emulator-bench: venv
	PYTHONPATH=$(ASR_EMULATOR_DIR) $(VPY) $(ASR_EMULATOR_DIR)/bench.py $(BENCH_ARGS)
