# The failback report (plugins/filter/failback_report.py) in a real browser.
#   make report-test   render the demo's report (tests/report/fixtures: the summary of a real `make demo` run) with
#                      headless Chromium, check the DOM it built (every VM, the totals) and keep its screenshot in
#                      build/test-artifacts/report/ (part of `make test`)
#   make chromium      Debian's chromium package, installed only when missing
TEST_STEPS += report-test

CHROMIUM ?= /usr/bin/chromium
REPORT_ARTIFACTS := $(CURDIR)/$(BUILD)/test-artifacts

# Installed only when missing; the package lists are refreshed only when the install cannot find the package (as
# apt-deps in mk/20-emulators.mk).
.PHONY: chromium
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "installing: chromium"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }; \
	fi

.PHONY: report-test
report-test: venv chromium
	CHROMIUM=$(CHROMIUM) REPORT_ARTIFACTS=$(REPORT_ARTIFACTS) $(VENV)/bin/pytest -q -p no:cacheprovider tests/report
	@echo "report-test: screenshot in $(REPORT_ARTIFACTS)/report/failback-report.png"
