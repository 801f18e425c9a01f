"""The vault's configuration (fabrics, policies, container mappings) is read once per module run (issue 17): a
reprotect or preflight of many VMs reads it once, not once per VM."""

from __future__ import annotations

import time
from types import SimpleNamespace

from azure.mgmt.recoveryservicessiterecovery import models

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.resources import AsrResources
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError


class Counting:
    """One SDK operation group: answers ``answer`` and counts the calls by method name."""

    def __init__(self, **answers):
        self.answers = answers
        self.calls: dict[str, int] = {}

    def __getattr__(self, method):
        def call(*args):
            self.calls[method] = self.calls.get(method, 0) + 1
            return self.answers[method](*args)

        return call


def resources():
    client = SimpleNamespace(
        replication_fabrics=Counting(get=lambda group, vault, name: models.Fabric(location=name)),
        replication_policies=Counting(list=lambda group, vault: [models.Policy(location="westeurope")]),
        replication_protection_container_mappings=Counting(
            list_by_replication_protection_containers=lambda group, vault, fabric, container: [
                models.ProtectionContainerMapping(location=f"{fabric}/{container}")
            ]
        ),
    )
    return AsrResources(client, "rg", "vault"), client


def item(name, fabric="fabric-1", container="container-1"):
    return {"friendly_name": name, "fabric_name": fabric, "protection_container_name": container}


def test_a_fabric_is_read_once_per_run_whatever_the_case_of_its_name():
    vault, client = resources()
    first = vault.get_fabric("fabric-1")
    assert vault.get_fabric("FABRIC-1") == first
    vault.get_fabric("fabric-2")
    assert client.replication_fabrics.calls == {"get": 2}


def test_policies_are_listed_once_for_every_vm():
    vault, client = resources()
    for _attempt in range(5):
        vault.list_policies()
    assert client.replication_policies.calls == {"list": 1}


def test_container_mappings_are_listed_once_per_container():
    vault, client = resources()
    for name in ("vm1", "vm2", "vm3"):
        vault.mapped_policy_ids(item(name))
    vault.mapped_policy_ids(item("vm4", container="container-2"))
    assert client.replication_protection_container_mappings.calls == {"list_by_replication_protection_containers": 2}


def test_each_module_run_reads_the_configuration_again():
    first, client = resources()
    first.list_policies()
    second = AsrResources(client, "rg", "vault")
    second.list_policies()
    assert client.replication_policies.calls == {"list": 2}


def test_items_after_jobs_come_from_one_shared_listing_and_a_failed_listing_falls_back_to_gets():
    calls = {"list": 0, "get": []}

    class Listing(AsrResources):
        def list_items(self):
            calls["list"] += 1
            if calls["list"] > 1:
                raise AzureApiError("throttled", operation="list the protected items", status_code=503)
            return [{"id": "/A", "stage": "committed"}, {"id": "/B", "stage": "committed"}]

        def get_item_by_id(self, item_id):
            calls["get"].append(item_id)
            return {"id": item_id, "stage": "read"}

    resources = Listing(None, "rg", "vault")
    assert resources.read_after_job({"id": "/a"})["stage"] == "read"  # not shared: a GET, as the single forms
    resources.share_item_listing()
    since = time.monotonic()
    assert [resources.read_after_job({"id": ref}, since)["stage"] for ref in ("/A", "/B", "/C")] == [
        "committed",
        "committed",
        "read",  # not listed: its own GET
    ]
    assert calls["list"] == 1
    assert resources.read_after_job({"id": "/A"})["stage"] == "read"  # the second listing failed: GETs from now on
    assert resources.read_after_job({"id": "/B"})["stage"] == "read"
    assert calls == {"list": 2, "get": ["/a", "/C", "/A", "/B"]}
