from __future__ import annotations

import pytest

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr import states
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError

VAULT = "/subscriptions/s/resourceGroups/rg-avs-dr/providers/Microsoft.RecoveryServices/vaults/rsv-avs-dr"


def test_idle_item_has_no_running_job(stage_a):
    assert states.running_scenario(stage_a) is None
    assert states.running_job_id(stage_a) is None


def test_running_job_id_comes_from_current_scenario(stage_a, running):
    busy = running(stage_a, "UnplannedFailover", "0b5e-job")
    assert states.running_job_id(busy) == "0b5e-job"
    assert states.scenario_kind(states.running_scenario(busy)) == "failover"


@pytest.mark.parametrize(
    ("scenario", "kind"),
    [
        ("UnplannedFailover", "failover"),
        ("PlannedFailover", "failover"),
        ("Commit", "commit"),
        ("FailoverCommit", "commit"),
        ("Reprotect", "reprotect"),
        ("ReverseReplication", "reprotect"),
        ("TestFailover", None),
    ],
)
def test_scenario_kinds(scenario, kind):
    assert states.scenario_kind(scenario) == kind


def test_finished_plan_scenario_is_not_running():
    plan = {
        "current_scenario": {"scenario_name": "UnplannedFailover", "job_id": f"{VAULT}/replicationJobs/j1"},
        "current_scenario_status": "Succeeded",
    }
    assert states.running_job_id(plan) is None


def test_stage_predicates(stage_a, stage_c, stage_d, stage_f):
    assert states.is_failback_ready(stage_a) and not states.is_failed_over(stage_a)
    assert states.is_commit_pending(stage_c) and states.is_failed_over(stage_c)
    assert not states.is_committed(stage_c)
    assert states.is_committed(stage_d) and states.is_reprotect_ready(stage_d)
    assert states.is_protected(stage_f) and not states.is_failback_ready(stage_f)


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("stage_a", "failback_ready"),
        ("stage_c", "commit_pending"),
        ("stage_d", "committed"),
        ("stage_f", "reprotected"),
    ],
)
def test_stage_of_each_step_of_the_classic_cycle(fixture, expected, request):
    assert states.stage(request.getfixturevalue(fixture)) == expected


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ("UnplannedFailover", "failback_running"),
        ("CommitFailover", "commit_running"),
        ("SwitchReplicationGroupProtection", "reprotect_running"),
        ("TestFailover", "job_running"),
    ],
)
def test_stage_of_a_running_item_follows_its_job(stage_a, running, scenario, expected):
    assert states.stage(running(stage_a, scenario)) == expected


def test_stage_of_items_the_failback_cannot_start_from(make_item):
    in_azure = make_item(instance_type="InMageAzureV2", active_location="Recovery", allowed=("SwitchProtection",))
    initial = make_item(allowed=("DisableProtection",), protection_state="InitialReplicationInProgress")
    assert states.stage(in_azure) == "in_azure"
    assert states.stage(initial) == "replicating_to_avs"
    assert states.stage(make_item(instance_type="A2A")) == "not_ready"
    assert states.stage(None) == "not_found"


@pytest.mark.parametrize(
    ("instance_type", "active", "site"),
    [
        ("InMage", "Primary", "azure"),
        ("InMage", "Recovery", "avs"),
        ("InMageRcmFailback", "Primary", "azure"),
        ("InMageRcmFailback", "Recovery", "avs"),
        ("InMageAzureV2", "Primary", "avs"),
        ("InMageAzureV2", "Recovery", "azure"),
        ("InMageRcm", "Primary", "avs"),
        ("InMageRcm", "Recovery", "azure"),
        ("A2A", "Primary", None),
    ],
)
def test_workload_site_is_read_from_the_pair_and_the_active_location(make_item, instance_type, active, site):
    assert states.workload_site(make_item(instance_type=instance_type, active_location=active)) == site


def test_reprotect_gate_is_switch_protection_on_a_failed_over_item(make_item):
    commit_pending_rcm = make_item(
        instance_type="InMageRcm",
        active_location="Recovery",
        allowed=("CompleteMigration", "Commit", "ChangePit", "SwitchProtection"),
    )
    assert states.is_reprotect_ready(commit_pending_rcm)
    not_failed_over = make_item(instance_type="InMageAzureV2", allowed=("SwitchProtection",))
    assert not states.is_reprotect_ready(not_failed_over)


def test_operations_compare_case_insensitively(stage_c):
    assert states.allows(stage_c, "commit")


def test_running_item_is_not_commit_pending(stage_c, running):
    assert not states.is_commit_pending(running(stage_c, "Commit"))


@pytest.mark.parametrize(
    ("active", "requested", "expected"),
    [
        ("Recovery", "auto", "RecoveryToPrimary"),
        ("Primary", "auto", "PrimaryToRecovery"),
        ("Recovery", "to_primary", "RecoveryToPrimary"),
        ("Primary", "to_recovery", "PrimaryToRecovery"),
    ],
)
def test_direction_moves_away_from_active_location(active, requested, expected):
    assert states.failover_direction(active, requested) == expected


def test_contradicting_direction_is_refused():
    with pytest.raises(AsrError, match="active at Recovery"):
        states.failover_direction("Recovery", "to_recovery")


def test_already_at_destination(stage_a, stage_c, stage_d, stage_f):
    assert not states.already_at(stage_a, "avs") and states.already_at(stage_a, "azure")
    assert states.already_at(stage_c, "avs") and states.already_at(stage_d, "avs")
    assert states.already_at(stage_f, "avs")
    assert states.already_at(stage_c, None) and not states.already_at(stage_a, None)


def test_failback_of_an_item_in_azure_that_does_not_replicate_to_avs_is_refused(make_item, stage_a):
    in_azure = make_item(instance_type="InMageAzureV2", active_location="Recovery")
    with pytest.raises(AsrError, match="reprotect it to AVS first"):
        states.check_destination(in_azure, "avs", "legacy-win-07")
    states.check_destination(stage_a, "avs", "web-win-01")
    states.check_destination(in_azure, "auto", "legacy-win-07")


def test_replication_group_ignores_generated_single_vm_group(make_item):
    alone = make_item(provider_specific_details={"multi_vm_group_name": "a1b2", "multi_vm_group_id": "a1b2"})
    named_after_vm = make_item(
        provider_specific_details={"multi_vm_group_name": "web-win-01", "multi_vm_group_id": "g"}
    )
    guid = make_item(provider_specific_details={"multi_vm_group_name": "50458c9c-ed5b-5607-a4c1-76ecfc8da25a"})
    assert states.replication_group(named_after_vm) is None
    assert states.replication_group(guid) is None
    grouped = make_item(provider_specific_details={"multi_vm_group_name": "rg-db", "multi_vm_group_id": "guid-9"})
    assert states.replication_group(alone) is None
    assert states.replication_group(grouped) == "rg-db"


def test_source_azure_vm_id_only_accepts_compute_ids(make_item):
    vm = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/web-win-01"
    item = make_item(provider_specific_details={"vm_id": "4212-uuid", "infrastructure_vm_id": vm})
    assert states.source_azure_vm_id(item) == vm
    assert states.source_azure_vm_id(make_item(provider_specific_details={"vm_id": "x"})) is None


def test_failback_is_a_pair_toward_avs_failed_over_to_recovery(stage_c, stage_a):
    assert states.is_failback(stage_c)
    assert not states.is_failback(stage_a)
