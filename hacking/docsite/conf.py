# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sphinx configuration of the collection's docsite (`make docs`).

The plugin and role pages are written by ``antsibull-docs collection``; the README and the pages of docs/ are
Markdown, read by MyST. Nothing is fetched from the network: no intersphinx inventories.
"""

project = "avsdr.site_recovery"
copyright = "avsdr.site_recovery contributors"
title = "avsdr.site_recovery"
html_short_title = "avsdr.site_recovery"

extensions = ["sphinx_antsibull_ext", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
myst_heading_anchors = 3

pygments_style = "ansible"
highlight_language = "YAML+Jinja"

html_theme = "sphinx_ansible_theme"
html_show_sphinx = False
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False
html_theme_options = {"display_version": False}

default_role = "any"
nitpicky = True

# ---- links out of the docsite, resolved without the network ---------------------------------------------------------
# The generated plugin pages refer to labels of the Ansible docsite (common return values, configuration settings,
# other collections' plugins), which intersphinx would fetch; the README and docs/ link to repository files that are
# not pages. Both are resolved here; any other missing target still fails the build (-W).
import os  # noqa: E402
import re  # noqa: E402

from docutils import nodes  # noqa: E402
from sphinx import addnodes  # noqa: E402
from sphinx.transforms.post_transforms import SphinxPostTransform  # noqa: E402

REPOSITORY = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ANSIBLE_DOCS = "https://docs.ansible.com/ansible/latest/"
ANSIBLE_LABELS = {
    "common_return_values": "reference_appendices/common_return_values.html",
    "ansible_configuration_settings": "reference_appendices/config.html",
}
OTHER_COLLECTION_PLUGIN = re.compile(r"^ansible_collections\.(\w+)\.(\w+)\.(\w+)_(module|role|\w+)$")
OWN_PREFIX = "ansible_collections.avsdr.site_recovery."


def _external(url, contnode):
    reference = nodes.reference("", "", internal=False, refuri=url)
    reference.append(contnode)
    return reference


def resolve_outside_links(app, env, node, contnode):  # pylint: disable=unused-argument
    target = node.get("reftarget", "")
    if node.get("reftype") == "envvar" and target.startswith("ANSIBLE_"):
        # ansible-core's own settings (the inventory_cache fragment's ANSIBLE_CACHE_PLUGIN_* variables):
        # antsibull-docs leaves them to the Ansible docsite's configuration page.
        return _external(f"{ANSIBLE_DOCS}{ANSIBLE_LABELS['ansible_configuration_settings']}#envvar-{target}", contnode)
    if node.get("reftype") == "ref" and not target.startswith(OWN_PREFIX):
        if target in ANSIBLE_LABELS:
            return _external(ANSIBLE_DOCS + ANSIBLE_LABELS[target], contnode)
        match = OTHER_COLLECTION_PLUGIN.match(target)
        if match:
            namespace, name, plugin, kind = match.groups()
            return _external(f"{ANSIBLE_DOCS}collections/{namespace}/{name}/{plugin}_{kind}.html", contnode)
    return None


class RepositoryFileLinks(SphinxPostTransform):
    """A Markdown link to a repository file that is not a page (COPYING, requirements.txt, a YAML file) becomes its
    text: the docsite has no copy of it. Runs before MyST resolves links, so that a link to a file that does not
    exist at all still fails the build."""

    default_priority = 5

    def run(self, **kwargs):  # pylint: disable=unused-argument
        for node in list(self.document.findall(addnodes.pending_xref)):
            target = node.get("reftarget", "")
            if node.get("reftype") != "myst" or "://" in target or node.get("refdomain") == "doc":
                continue
            refdoc = node.get("refdoc", self.env.docname)
            path = os.path.normpath(os.path.join(os.path.dirname(refdoc), target.split("#")[0]))
            if not path.startswith("..") and os.path.exists(os.path.join(REPOSITORY, path)):
                node.replace_self(node[0].deepcopy())


def setup(app):
    app.connect("missing-reference", resolve_outside_links)
    app.add_post_transform(RepositoryFileLinks)
