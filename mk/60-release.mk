# Release readiness: docsite, changelog, Galaxy artifact, execution environment, AWX objects, tested version range.
#   make docs            the collection docsite (antsibull-docs + Sphinx) in build/docsite/html/index.html
#   make docs-lint       antsibull-docs lint-collection-docs --plugin-docs, antsibull-changelog lint
#   make changelog       the release changelog of galaxy.yml's version, in build/changelog/.../CHANGELOG.rst; it runs
#                        `antsibull-changelog release` on a copy, so no fragment is consumed
#   make awx-survey      write examples/awx/survey_failback.json from playbooks/vars/failback_inputs.yml
#   make awx-lint        --syntax-check and ansible-lint (args checked against awx.awx) of examples/awx
#   make ee-context      `ansible-builder create`: the EE build context in build/ee/context (no container runtime)
#   make release-tests   the artifact (contents, clean install, ansible-doc) and the EE build context (tests/release)
#   make version-range   the newest end of the claimed versions is what .venv runs (hacking/version_range.py)
#   make oldest          the oldest end, in .venv-oldest: units, sanity and one runbook pass (emulators)
TEST_STEPS += docs-lint docs release-tests awx-lint version-range oldest

GALAXY_VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
ARTIFACT := $(BUILD)/avsdr-site_recovery-$(GALAXY_VERSION).tar.gz
DOCSITE := $(BUILD)/docsite
# The pages of the docsite besides the generated ones (plugins, roles, inputs, changelog); their relative links work
# because they keep their repository paths.
DOCSITE_PAGES := README.md docs/runbook.md docs/results.md docs/inventory.md docs/awx.md docs/architecture.md
CHANGELOG_TREE := $(BUILD)/changelog/ansible_collections/avsdr/site_recovery
# awx.awx for linting examples/awx: the ansible community package on PyPI ships it (awx.awx 24.6.1 in 12.3.0).
AWX_ANSIBLE_PACKAGE := ansible==12.3.0
AWX_CACHE := $(CURDIR)/.cache/awx
OLDEST_VENV := .venv-oldest
OLDEST_TREE := $(BUILD)/oldest/ansible_collections/avsdr/site_recovery
# The tools run from .venv; the collection is found by its FQCN through the runbook's collections path.
WITH_COLLECTION := ANSIBLE_COLLECTIONS_PATH=$(RUNBOOK_COLLECTIONS) PATH=$(CURDIR)/$(VENV)/bin:$$PATH

.PHONY: docs-lint
docs-lint: venv runbook-collection
	$(WITH_COLLECTION) $(VENV)/bin/antsibull-docs lint-collection-docs --plugin-docs .
	$(VENV)/bin/antsibull-changelog lint

.PHONY: changelog
changelog: venv
	rm -rf $(BUILD)/changelog
	mkdir -p $(CHANGELOG_TREE)
	$(COLLECTION_FILES) | tar -cf - -T - | tar -xf - -C $(CHANGELOG_TREE)
	cd $(CHANGELOG_TREE) && PATH=$(CURDIR)/$(VENV)/bin:$$PATH antsibull-changelog release --version $(GALAXY_VERSION)
	@echo "changelog: $(CHANGELOG_TREE)/CHANGELOG.rst"

.PHONY: docs
docs: venv runbook-collection changelog
	rm -rf $(DOCSITE)
	mkdir -p $(DOCSITE)/rst
	chmod 0755 $(DOCSITE)/rst
	$(WITH_COLLECTION) $(VENV)/bin/antsibull-docs collection --use-current --squash-hierarchy --fail-on-error \
	  --dest-dir $(DOCSITE)/rst avsdr.site_recovery
	mv $(DOCSITE)/rst/index.rst $(DOCSITE)/rst/collection_index.rst
	install -m 0644 hacking/docsite/index.rst $(DOCSITE)/rst/index.rst
	for page in $(DOCSITE_PAGES); do install -D -m 0644 $$page $(DOCSITE)/rst/$$page; done
	$(VPY) hacking/failback_inputs.py rst --output $(DOCSITE)/rst/failback_inputs.rst
	install -m 0644 $(CHANGELOG_TREE)/CHANGELOG.rst $(DOCSITE)/rst/changelog.rst
	$(VENV)/bin/sphinx-build -q -W --keep-going -b html -c hacking/docsite $(DOCSITE)/rst $(DOCSITE)/html
	@echo "docs: $(DOCSITE)/html/index.html"

.PHONY: awx-survey
awx-survey: venv
	$(VPY) hacking/failback_inputs.py survey --output examples/awx/survey_failback.json

$(AWX_CACHE)/collections/.stamp: mk/60-release.mk | venv
	rm -rf $(AWX_CACHE)
	$(VPY) -m pip download --quiet --no-deps --only-binary :all: --dest $(AWX_CACHE)/wheel $(AWX_ANSIBLE_PACKAGE)
	$(VPY) -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); \
	  [z.extract(n, sys.argv[2]) for n in z.namelist() if n.startswith("ansible_collections/awx/awx/")]' \
	  $(AWX_CACHE)/wheel/*.whl $(AWX_CACHE)/collections
	rm -rf $(AWX_CACHE)/wheel
	touch $@

.PHONY: awx-lint
awx-lint: venv $(AWX_CACHE)/collections/.stamp
	ANSIBLE_COLLECTIONS_PATH=$(AWX_CACHE)/collections $(VENV)/bin/ansible-playbook --syntax-check \
	  examples/awx/configure_awx.yml
	ANSIBLE_COLLECTIONS_PATH=$(AWX_CACHE)/collections PATH=$(CURDIR)/$(VENV)/bin:$$PATH \
	  $(VENV)/bin/ansible-lint --nocolor --strict -c hacking/ansible-lint-awx.yml examples/awx

.PHONY: ee-context
ee-context: venv build
	rm -rf $(BUILD)/ee
	$(VENV)/bin/ansible-builder create --file execution-environment.yml --context $(BUILD)/ee/context \
	  --output-filename Containerfile
	@echo "ee-context: $(BUILD)/ee/context (build it with: podman build -t avs-failback-ee $(BUILD)/ee/context)"

.PHONY: release-tests
release-tests: venv build
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/pytest -q -p no:cacheprovider tests/release

.PHONY: version-range
version-range: venv
	$(VPY) hacking/version_range.py check --python $(VPY) --which newest

# ---- the oldest end of the claim ----------------------------------------------------------------------------------
# ansible-core at requires_ansible's lower bound and every requirements.txt package at its lower bound, plus pytest.
$(OLDEST_VENV)/.stamp: meta/runtime.yml requirements.txt requirements-dev.txt hacking/version_range.py | venv
	rm -rf $(OLDEST_VENV)
	$(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VPY) hacking/version_range.py oldest-requirements > $(OLDEST_VENV)/requirements.txt
	grep -E '^pytest==' requirements-dev.txt >> $(OLDEST_VENV)/requirements.txt
	$(OLDEST_VENV)/bin/python -m pip install --quiet -r $(OLDEST_VENV)/requirements.txt
	touch $@

.PHONY: oldest-venv
oldest-venv: $(OLDEST_VENV)/.stamp
	$(VPY) hacking/version_range.py check --python $(OLDEST_VENV)/bin/python --which oldest

.PHONY: oldest-units
oldest-units: oldest-venv
	$(OLDEST_VENV)/bin/pytest -q -p no:cacheprovider tests/unit

# The same copied tree as `make sanity`, in its own place, with ansible-test of the oldest ansible-core.
.PHONY: oldest-sanity
oldest-sanity: oldest-venv
	rm -rf $(OLDEST_TREE)
	mkdir -p $(OLDEST_TREE)
	$(COLLECTION_FILES) | tar -cf - -T - | tar -xf - -C $(OLDEST_TREE)
	cd $(OLDEST_TREE) && git init -q . && git add -A >/dev/null
	@pkg=$$($(OLDEST_VENV)/bin/python -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))'); \
	  mkdir -p $$HOME/.ansible/test/cache; \
	  for version in $$(grep -oP "pip='\K[0-9.]+" $$pkg/_internal/python_requirements.py); do \
	    install -m 0644 mk/get_pip_bootstrap.py $$HOME/.ansible/test/cache/get_pip_$${version//./_}.py; \
	  done
	cd $(OLDEST_TREE) && $(CURDIR)/$(OLDEST_VENV)/bin/ansible-test sanity --venv --python $(PY_VERSION) --color no

# One pass of the runbook over the avs-demo scenario, run by the oldest ansible-core, from the vault's inventory (the
# asr inventory plugin runs under it too): the modules run with the playbook's Python, so the SDKs at their lower
# bounds do the work. Its summary is checked as the demo's is (tests/demo/check_summary.py): four VMs failed back
# and reprotected, three left alone with their reason.
.PHONY: oldest-runbook
oldest-runbook: oldest-venv runbook-collection
	rm -f $(BUILD)/oldest/summary.json
	mkdir -p $(BUILD)/oldest
	$(call with_emulators, \
	  PATH=$(CURDIR)/$(OLDEST_VENV)/bin:$$PATH ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ansible-playbook \
	    -i $(DEMO_INVENTORY) playbooks/failback.yml $(DEMO_ARGS) $(DEMO_VARS_classic) \
	    -e summary_report_file=$(CURDIR)/$(BUILD)/oldest/summary.json)
	$(VPY) tests/demo/check_summary.py $(BUILD)/oldest/summary.json

.PHONY: oldest
oldest: oldest-units oldest-sanity oldest-runbook
