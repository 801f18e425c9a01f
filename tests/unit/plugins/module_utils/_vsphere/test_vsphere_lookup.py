"""VM lookup: moid, then UUID, then name narrowed by datacenter and folder; ambiguity lists the candidates."""

from __future__ import annotations

import pytest

from ansible_collections.avsdr.site_recovery.plugins.module_utils._vsphere.lookup import (
    VmLookupError,
    find_vm,
    guest_family,
    location_from_ancestors,
    locations_by_name,
    normalize_folder,
)
from ansible_collections.avsdr.site_recovery.tests.unit.plugins.module_utils._vmtools.fake_vsphere import FakeVSphere


@pytest.fixture
def vcenter():
    fake = FakeVSphere()
    fake.add_vm(
        "vm-1", name="web-win-01", folder="Workloads", **{"config.uuid": "AAAA-1", "config.instanceUuid": "i-1"}
    )
    fake.add_vm(
        "vm-2", name="web-win-01", folder="Staging/old", **{"config.uuid": "aaaa-1", "config.instanceUuid": "i-2"}
    )
    fake.add_vm("vm-3", name="web-win-01", folder="Workloads", datacenter="DC-2", **{"config.instanceUuid": "i-3"})
    fake.add_vm("vm-4", name="db-lin-04", folder="", **{"config.uuid": "bbbb-4", "config.instanceUuid": "i-4"})
    return fake


def test_moid_comes_first(vcenter):
    assert find_vm(vcenter, moid="vm-4", uuid="i-1", use_instance_uuid=True, name="web-win-01").moid == "vm-4"


def test_uuid_comes_before_name(vcenter):
    assert find_vm(vcenter, uuid="i-2", use_instance_uuid=True, name="db-lin-04").moid == "vm-2"


def test_bios_uuid_matches_case_insensitively_and_can_be_ambiguous(vcenter):
    with pytest.raises(VmLookupError) as raised:
        find_vm(vcenter, uuid="aaaa-1")
    assert raised.value.candidates == [
        "/SDDC-Datacenter/vm/Workloads/web-win-01",
        "/SDDC-Datacenter/vm/Staging/old/web-win-01",
    ]
    assert find_vm(vcenter, uuid="aaaa-1", folder="Staging/old").moid == "vm-2"


def test_instance_uuid_is_not_a_bios_uuid(vcenter):
    with pytest.raises(VmLookupError, match="No VM found with BIOS UUID 'i-1'"):
        find_vm(vcenter, uuid="i-1")


def test_unique_name(vcenter):
    found = find_vm(vcenter, name="db-lin-04")
    assert (found.moid, found.datacenter, found.folder, found.path) == (
        "vm-4",
        "SDDC-Datacenter",
        "",
        "/SDDC-Datacenter/vm/db-lin-04",
    )


def test_ambiguous_name_lists_every_candidate_and_how_to_choose(vcenter):
    with pytest.raises(VmLookupError) as raised:
        find_vm(vcenter, name="web-win-01")
    msg = raised.value.msg
    assert msg.startswith("3 VMs match name 'web-win-01'")
    for moid in ("vm-1", "vm-2", "vm-3"):
        assert f"(moid {moid})" in msg
    assert "/DC-2/vm/Workloads/web-win-01" in raised.value.candidates
    assert "narrow it down with folder and datacenter" in msg


def test_datacenter_alone_may_still_be_ambiguous(vcenter):
    with pytest.raises(VmLookupError) as raised:
        find_vm(vcenter, name="web-win-01", datacenter="SDDC-Datacenter")
    assert raised.value.msg.startswith("2 VMs match name 'web-win-01' in datacenter 'SDDC-Datacenter'")
    assert find_vm(vcenter, name="web-win-01", datacenter="DC-2").moid == "vm-3"


@pytest.mark.parametrize("folder", ["Workloads", "/Workloads/", "vm/Workloads", "/SDDC-Datacenter/vm/Workloads"])
def test_folder_and_datacenter_pick_one(vcenter, folder):
    assert find_vm(vcenter, name="web-win-01", folder=folder, datacenter="SDDC-Datacenter").moid == "vm-1"


def test_folder_is_exact_not_a_prefix(vcenter):
    with pytest.raises(VmLookupError) as raised:
        find_vm(vcenter, name="web-win-01", folder="Staging")
    assert raised.value.msg.startswith("No VM found with name 'web-win-01' in folder 'Staging'; VMs with that identity")
    assert len(raised.value.candidates) == 3


def test_unknown_name_and_moid(vcenter):
    with pytest.raises(VmLookupError, match=r"^No VM found with name 'nope'$"):
        find_vm(vcenter, name="nope")
    with pytest.raises(VmLookupError, match="No VM with moid 'vm-99'"):
        find_vm(vcenter, moid="vm-99")


def test_nothing_to_look_up(vcenter):
    with pytest.raises(VmLookupError, match="one of moid, uuid or name"):
        find_vm(vcenter)


def test_location_below_a_datacenter_folder():
    ancestors = [("Folder", "Datacenters"), ("Folder", "EMEA"), ("Datacenter", "DC"), ("Folder", "vm"), ("Folder", "a")]
    location = location_from_ancestors("vm-1", "x", ancestors)
    assert (location.datacenter, location.folder, location.path) == ("DC", "a", "/DC/vm/a/x")


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("/DC/vm/a/b", "a/b"),
        ("DC/vm/a/b", "a/b"),
        ("vm/a", "a"),
        ("/a/b/", "a/b"),
        ("/", ""),
        ("Other/vm/a", "Other/vm/a"),
    ],
)
def test_normalize_folder(folder, expected):
    assert normalize_folder(folder, "DC") == expected


# ---- every VM at once (the inventory plugin's vcenter_details) -------------------------------------------------------
CONTAINERS = {
    "group-d1": ("Folder", "Datacenters", None),
    "datacenter-2": ("Datacenter", "SDDC-Datacenter", "group-d1"),
    "group-v3": ("Folder", "vm", "datacenter-2"),
    "group-v4": ("Folder", "Workloads", "group-v3"),
    "group-v5": ("Folder", "web", "group-v4"),
    "datacenter-9": ("Datacenter", "DC-2", "group-d1"),
    "group-v10": ("Folder", "vm", "datacenter-9"),
}


def test_locations_by_name_from_one_read_per_kind():
    vms = [("vm-1", "web01", "group-v5"), ("vm-2", "db01", "group-v3"), ("vm-3", "db01", "group-v10")]
    found = locations_by_name(vms, CONTAINERS)
    assert [(loc.datacenter, loc.folder) for loc in found["web01"]] == [("SDDC-Datacenter", "Workloads/web")]
    assert sorted(loc.path for loc in found["db01"]) == ["/DC-2/vm/db01", "/SDDC-Datacenter/vm/db01"]


def test_locations_by_name_survive_unknown_parents_and_cycles():
    found = locations_by_name([("vm-1", "x", "resgroup-1"), ("vm-2", "y", "a")], {"a": ("Folder", "a", "a")})
    assert found["x"][0].datacenter is None and found["y"][0].datacenter is None


@pytest.mark.parametrize(
    ("family", "guest_id", "expected"),
    [
        ("windowsGuest", None, "windows"),
        ("linuxGuest", "otherGuest", "linux"),
        (None, "windows2019srv_64Guest", "windows"),
        (None, "rhel8_64Guest", "linux"),
        (None, "otherLinux64Guest", "linux"),
        (None, "otherGuest", None),
        (None, None, None),
    ],
)
def test_guest_family(family, guest_id, expected):
    assert guest_family(family, guest_id) == expected
