# Core checks: ruff, ansible-test sanity on a copied collection tree, pytest unit suites.
TEST_STEPS += lint sanity units

ANSIBLE_TEST_PKG = $(shell $(VPY) -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')

# The files the collection is made of: tracked ones plus new ones git does not ignore. The emulators and build
# plumbing are not part of the collection artifact (galaxy.yml build_ignore), so sanity does not see them either;
# ruff and pytest cover them.
COLLECTION_FILES = git ls-files --cached --others --exclude-standard | grep -v -E '^(tests/emulators/|mk/|\.ci/)' | while read -r f; do [ -e "$$f" ] && echo "$$f"; done

.PHONY: lint
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check --diff plugins tests || { echo "run: .venv/bin/ruff format plugins tests"; exit 1; }

# ansible-test needs the collection under ansible_collections/<ns>/<name> and resolves real paths, so the tree is a
# copy, not a symlink.
.PHONY: collection-tree
collection-tree:
	rm -rf $(COLLECTION_TREE)
	mkdir -p $(COLLECTION_TREE)
	$(COLLECTION_FILES) | tar -cf - -T - | tar -xf - -C $(COLLECTION_TREE)
	cd $(COLLECTION_TREE) && git init -q . && git add -A >/dev/null

.PHONY: ansible-test-bootstrap
ansible-test-bootstrap: venv
	@version=$$(grep -oP "pip='\K[0-9.]+" $(ANSIBLE_TEST_PKG)/_internal/python_requirements.py); \
	  mkdir -p $$HOME/.ansible/test/cache; \
	  install -m 0644 mk/get_pip_bootstrap.py $$HOME/.ansible/test/cache/get_pip_$${version//./_}.py

.PHONY: sanity
sanity: venv collection-tree ansible-test-bootstrap
	cd $(COLLECTION_TREE) && $(CURDIR)/$(VENV)/bin/ansible-test sanity --venv --python $(PY_VERSION) --color no

.PHONY: units
units: venv
	$(VENV)/bin/pytest -q tests/unit

.PHONY: build
build: venv collection-tree
	cd $(COLLECTION_TREE) && $(CURDIR)/$(VENV)/bin/ansible-galaxy collection build --force --output-path $(CURDIR)/$(BUILD)
