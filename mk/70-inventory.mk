# The asr inventory plugin on a large emulated estate (prints figures; not a test, not part of `make test`).
#   make inventory-count VMS=1000   generate a scenario of VMS VMs (tests/emulators/scenarios/generate.py), bring the
#                                   emulators up with it, list it with inventory/demo.asr.yml, and print the plugin's
#                                   request count next to the emulator's own count per route
VMS ?= 1000
INVENTORY_COUNT_SCENARIO := $(RUNBOOK_EMULATORS)/inventory-count/generated-$(VMS).yml

.PHONY: inventory-count
inventory-count: export SCENARIO = $(INVENTORY_COUNT_SCENARIO)
inventory-count: venv runbook-collection
	@mkdir -p $(dir $(INVENTORY_COUNT_SCENARIO))
	@$(VPY) tests/emulators/scenarios/generate.py --vms $(VMS) --out $(INVENTORY_COUNT_SCENARIO)
	$(call with_emulators, $(VPY) tests/emulators/harness/inventory_count.py $(DEMO_INVENTORY))
