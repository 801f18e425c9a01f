"""The preflight resolves the reprotect that follows the commit before anything is submitted (issue 11): asr_reprotect
with ahead_of_commit in check mode resolves the targets of a failback-ready item, or refuses a wrong name as it would
after the commit; nothing is posted."""

from __future__ import annotations

import pytest
from recorded import item
from test_recorded_classic import CLASSIC, resources_with
from test_service import service

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr import reprotect, states
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError


def _ready():
    ready = item(CLASSIC, "01_")
    assert states.stage(ready) == "failback_ready"
    return ready


def test_without_ahead_of_commit_a_failback_ready_item_has_nothing_to_reprotect():
    resources = resources_with(_ready())
    request = reprotect.ReprotectRequest(process_server="ps-typo")
    outcome = reprotect.reprotect_item(service(resources, check_mode=True), _ready()["name"], request)
    assert not outcome.changed and outcome.request is None  # it replicates toward AVS already: no name resolved


def test_ahead_of_commit_resolves_the_targets_in_check_mode_and_posts_nothing():
    resources = resources_with(_ready())
    request = reprotect.ReprotectRequest(process_server="V2A-PS-200", ahead_of_commit=True)
    outcome = reprotect.reprotect_item(service(resources, check_mode=True), _ready()["name"], request)
    assert outcome.request["operation"] == "reProtect" and outcome.request["body"]
    assert resources.posts == []


def test_ahead_of_commit_refuses_a_wrong_process_server_with_the_choices():
    resources = resources_with(_ready())
    request = reprotect.ReprotectRequest(process_server="ps-typo", ahead_of_commit=True)
    with pytest.raises(AsrError, match=r"process_server .ps-typo. not found; valid choices: .*V2A-PS-200"):
        reprotect.reprotect_item(service(resources, check_mode=True), _ready()["name"], request)


def test_ahead_of_commit_changes_nothing_outside_check_mode():
    resources = resources_with(_ready())
    request = reprotect.ReprotectRequest(process_server="ps-typo", ahead_of_commit=True)
    outcome = reprotect.reprotect_item(service(resources, check_mode=False), _ready()["name"], request)
    assert not outcome.changed and outcome.request is None and resources.posts == []
