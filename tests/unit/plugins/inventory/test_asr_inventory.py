"""avsdr.site_recovery.asr: hosts, host vars, groups, Constructable options, filters, cache and bad configurations.

The plugin runs as ansible-inventory runs it (plugin loader, DataLoader, InventoryData) on top of the real Site
Recovery SDK client, whose HTTP goes to an in-process fake vault (fake_arm.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_arm import FakeArm, FakeConnection, FakeVault, wire_item, wire_plan

PLUGIN = "avsdr.site_recovery.asr"
MODULE = "ansible_collections.avsdr.site_recovery.plugins.inventory.asr"
RUNBOOK_VARIABLES = {
    "asr_recovery_plan",
    "asr_recovery_plans",
    "vm_guest_os",
    "vcenter_vm_name",
    "asr_resource_group",
    "asr_vault_name",
    "asr_stage",
    "asr_provider",
    "asr_architecture",
    "asr_replication_group",
    "asr_replication_health",
    "asr_last_recovery_point_time",
    "asr_process_server",
}
MAGIC_VARIABLES = {"inventory_file", "inventory_dir", "inventory_hostname", "inventory_hostname_short", "group_names"}
VAULT_CONFIG = {"plugin": PLUGIN, "resource_group": "rg-avs-dr", "vault_name": "rsv-avs-dr"}


def demo_vault() -> FakeVault:
    """The avs-demo estate: plans rp-web and rp-db (replication group rg-db), a lone VM, a new one, a legacy one."""
    vault = FakeVault()
    web1 = wire_item("web-win-01")
    web2 = wire_item("web-lin-02", os_type="Linux")
    db3 = wire_item("db-win-03", details={"multiVmGroupName": "rg-db", "multiVmGroupId": "g-db"})
    db4 = wire_item("db-lin-04", os_type="Linux", details={"multiVmGroupName": "rg-db", "multiVmGroupId": "g-db"})
    app5 = wire_item("app-lin-05", os_type="Linux", details={"processServerId": "ps-guid-1"})
    new6 = wire_item("new-win-06", "replicating_to_avs", health="Warning")
    legacy7 = wire_item("legacy-win-07", "in_azure", details={"processServerName": "ps-azure-01"})
    a2a = wire_item("azure-native", os_type=None, details={"instanceType": "A2A"})
    vault.items = [web1, web2, db3, db4, app5, new6, legacy7, a2a]
    vault.plans = [wire_plan("rp-web", [web1, web2]), wire_plan("rp-db", [db3, db4])]
    vault.fabrics = [
        {
            "id": "/fabrics/cs-avs-01",
            "name": "cs-avs-01",
            "properties": {
                "friendlyName": "cs-avs-01",
                "customDetails": {
                    "instanceType": "VMware",
                    "processServers": [{"id": "ps-guid-1", "friendlyName": "ps-azure-01"}],
                },
            },
        }
    ]
    return vault


@pytest.fixture
def inventory_module():
    return sys.modules.get(MODULE) or __import__(MODULE, fromlist=["InventoryModule"])


@pytest.fixture
def arm():
    return FakeArm(demo_vault())


@pytest.fixture
def connect(monkeypatch, arm, inventory_module):
    """Replace open_connection (credential resolution + sign-in) with the fake wire; record what it was given."""
    calls = []

    def open_connection(params, environ=None, **kwargs):
        calls.append(dict(params))
        return FakeConnection(arm)

    monkeypatch.setattr(inventory_module, "open_connection", open_connection)
    return calls


def parse(tmp_path, config: dict, name="demo.asr.yml") -> InventoryData:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config))
    plugin = inventory_loader.get(PLUGIN)
    assert plugin.verify_file(str(path))
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(path), cache=False)
    return inventory


def members(inventory: InventoryData, group: str) -> list[str]:
    return sorted(host.name for host in inventory.groups[group].get_hosts())


def host_vars(inventory: InventoryData, host: str) -> dict:
    return inventory.get_host(host).get_vars()


# ---- hosts and host vars ---------------------------------------------------------------------------------------------
def test_one_host_per_vmware_item_with_the_runbook_variables(tmp_path, connect, arm):
    inventory = parse(tmp_path, VAULT_CONFIG)
    hosts = sorted(name for name in inventory.hosts)
    assert hosts == ["app-lin-05", "db-lin-04", "db-win-03", "legacy-win-07", "new-win-06", "web-lin-02", "web-win-01"]
    web = host_vars(inventory, "web-win-01")
    assert web["asr_protected_item"].endswith("/replicationProtectedItems/web-win-01-item")
    assert {key: value for key, value in web.items() if key in RUNBOOK_VARIABLES} == {
        "asr_recovery_plan": "rp-web",
        "asr_recovery_plans": ["rp-web"],
        "vm_guest_os": "windows",
        "vcenter_vm_name": "web-win-01",
        "asr_resource_group": "rg-avs-dr",
        "asr_vault_name": "rsv-avs-dr",
        "asr_stage": "failback_ready",
        "asr_provider": "InMage",
        "asr_architecture": "classic",
        "asr_replication_group": None,
        "asr_replication_health": "Normal",
        "asr_last_recovery_point_time": None,
        "asr_process_server": None,
    }
    assert set(web) - MAGIC_VARIABLES == RUNBOOK_VARIABLES | {"asr_protected_item"}
    app = host_vars(inventory, "app-lin-05")
    assert app["asr_recovery_plan"] == "" and app["asr_recovery_plans"] == []
    assert app["asr_process_server"] == "ps-azure-01"  # resolved by id through the one fabric list
    assert host_vars(inventory, "new-win-06")["asr_replication_health"] == "Warning"
    assert host_vars(inventory, "legacy-win-07")["asr_stage"] == "in_azure"


def test_reads_one_list_per_kind_one_get_per_plan_and_follows_next_link(tmp_path, connect, arm):
    parse(tmp_path, VAULT_CONFIG)
    assert arm.count("/replicationProtectedItems") == 4  # 8 items, pages of 2, nextLink followed
    assert arm.count("/replicationRecoveryPlans") == 3  # the list, then rp-web and rp-db
    assert arm.count("/replicationFabrics") == 2  # the list, then a GET of the one fabric (a list has no servers)
    assert len(arm.requests) == 9
    assert not any("/replicationProtectedItems/" in line.split("?")[0] for line in arm.requests)  # no item GET


def test_request_counter_sees_every_request(tmp_path, monkeypatch, arm, inventory_module):
    counters = []
    original = inventory_module.RequestCounter

    class Recording(original):
        def __init__(self):
            super().__init__()
            counters.append(self)

    monkeypatch.setattr(inventory_module, "RequestCounter", Recording)
    monkeypatch.setattr(inventory_module, "open_connection", lambda *a, **k: FakeConnection(arm))
    parse(tmp_path, VAULT_CONFIG)
    assert counters[0].total == len(arm.requests) == 9
    assert counters[0].counts == {
        "replicationProtectedItems": 4,
        "replicationRecoveryPlans": 3,
        "replicationFabrics": 2,
    }
    assert counters[0].describe().startswith("9 Azure Resource Manager requests")


# ---- groups ----------------------------------------------------------------------------------------------------------
def test_builtin_groups(tmp_path, connect):
    inventory = parse(tmp_path, VAULT_CONFIG)
    assert members(inventory, "rp_web") == ["web-lin-02", "web-win-01"]
    assert members(inventory, "rp_db") == ["db-lin-04", "db-win-03"]
    assert members(inventory, "asr_stage_failback_ready") == [
        "app-lin-05",
        "db-lin-04",
        "db-win-03",
        "web-lin-02",
        "web-win-01",
    ]
    assert members(inventory, "asr_stage_replicating_to_avs") == ["new-win-06"]
    assert members(inventory, "asr_stage_in_azure") == ["legacy-win-07"]
    assert members(inventory, "asr_architecture_classic") == sorted(inventory.hosts)
    assert members(inventory, "asr_os_windows") == ["db-win-03", "legacy-win-07", "new-win-06", "web-win-01"]
    assert members(inventory, "asr_os_linux") == ["app-lin-05", "db-lin-04", "web-lin-02"]
    assert members(inventory, "asr_replication_group_rg_db") == ["db-lin-04", "db-win-03"]
    assert members(inventory, "asr_vault_rsv_avs_dr") == sorted(inventory.hosts)


def test_group_prefixes(tmp_path, connect):
    inventory = parse(tmp_path, VAULT_CONFIG | {"group_prefix": "dr_", "recovery_plan_group_prefix": "plan_"})
    assert members(inventory, "plan_rp_web") == ["web-lin-02", "web-win-01"]
    assert "dr_stage_failback_ready" in inventory.groups
    assert "asr_stage_failback_ready" not in inventory.groups and "rp_web" not in inventory.groups


def test_compose_groups_and_keyed_groups(tmp_path, connect):
    config = VAULT_CONFIG | {
        "compose": {"vcenter_vm_folder": "'Workloads'", "ansible_connection": "'local'"},
        "groups": {"windows_plans": "asr_recovery_plan != '' and vm_guest_os == 'windows'"},
        "keyed_groups": [{"key": "asr_provider | lower", "prefix": "provider"}, {"key": "asr_replication_health"}],
    }
    inventory = parse(tmp_path, config)
    assert host_vars(inventory, "web-win-01")["vcenter_vm_folder"] == "Workloads"
    assert members(inventory, "windows_plans") == ["db-win-03", "web-win-01"]
    assert members(inventory, "provider_inmage") == [
        "app-lin-05",
        "db-lin-04",
        "db-win-03",
        "new-win-06",
        "web-lin-02",
        "web-win-01",
    ]
    assert members(inventory, "provider_inmageazurev2") == ["legacy-win-07"]
    assert members(inventory, "_Warning") == ["new-win-06"]


def test_compose_errors_are_skipped_unless_strict(tmp_path, connect):
    config = VAULT_CONFIG | {"compose": {"broken": "undefined_variable + 1"}}
    assert "broken" not in host_vars(parse(tmp_path, config), "web-win-01")
    with pytest.raises(AnsibleError, match="could not set broken"):
        parse(tmp_path, config | {"strict": True})


# ---- filters ---------------------------------------------------------------------------------------------------------
def test_filters_leave_vms_out(tmp_path, connect):
    inventory = parse(tmp_path, VAULT_CONFIG | {"filters": ["asr_stage != 'in_azure'", "vm_guest_os == 'windows'"]})
    # web-lin-02 and db-lin-04 fail the OS filter but stay: their plans fail over as one unit
    assert sorted(inventory.hosts) == ["db-lin-04", "db-win-03", "new-win-06", "web-lin-02", "web-win-01"]


def test_filters_see_composed_variables(tmp_path, connect):
    config = VAULT_CONFIG | {"compose": {"wave": "1 if asr_recovery_plan == 'rp-web' else 2"}, "filters": ["wave == 1"]}
    assert sorted(parse(tmp_path, config).hosts) == ["web-lin-02", "web-win-01"]


def test_a_filter_that_fails_leaves_the_vm_out_or_stops_when_strict(tmp_path, connect):
    config = VAULT_CONFIG | {"filters": ["no_such_variable == 1"]}
    assert sorted(parse(tmp_path, config).hosts) == []
    with pytest.raises(AnsibleParserError, match="could not evaluate filter"):
        parse(tmp_path, config | {"strict": True})


# ---- a VM in several plans -------------------------------------------------------------------------------------------
@pytest.fixture
def shared_vault(arm):
    vault = next(iter(arm.vaults.values()))
    web2, app5 = vault.items[1], vault.items[4]
    vault.plans.append(wire_plan("rp-app", [app5, web2]))
    return vault


def test_a_vm_in_several_plans_is_in_each_group_and_fails_back_with_the_first_by_name(tmp_path, connect, shared_vault):
    inventory = parse(tmp_path, VAULT_CONFIG)
    shared = host_vars(inventory, "web-lin-02")
    assert shared["asr_recovery_plans"] == ["rp-app", "rp-web"]
    assert shared["asr_recovery_plan"] == "rp-app"
    assert members(inventory, "rp_web") == ["web-lin-02", "web-win-01"]
    assert members(inventory, "rp_app") == ["app-lin-05", "web-lin-02"]


def test_recovery_plan_precedence_decides_for_a_vm_in_several_plans(tmp_path, connect, shared_vault):
    inventory = parse(tmp_path, VAULT_CONFIG | {"recovery_plan_precedence": ["rp-web"]})
    assert host_vars(inventory, "web-lin-02")["asr_recovery_plan"] == "rp-web"
    assert host_vars(inventory, "app-lin-05")["asr_recovery_plan"] == "rp-app"


def test_filters_keep_overlapping_plans_whole(tmp_path, connect, shared_vault):
    inventory = parse(tmp_path, VAULT_CONFIG | {"filters": ["vcenter_vm_name == 'app-lin-05'"]})
    assert sorted(inventory.hosts) == ["app-lin-05", "web-lin-02", "web-win-01"]


# ---- several vaults --------------------------------------------------------------------------------------------------
def test_several_vaults_and_name_collisions(tmp_path, monkeypatch, inventory_module):
    east, west = FakeVault("rg-east", "rsv-east"), FakeVault("rg-west", "rsv-west")
    east.items = [wire_item("web01", resource_group="rg-east", vault="rsv-east")]
    west.items = [
        wire_item("web01", resource_group="rg-west", vault="rsv-west"),
        wire_item("db01", resource_group="rg-west", vault="rsv-west"),
    ]
    east.plans = [wire_plan("rp-web", east.items, resource_group="rg-east", vault="rsv-east")]
    west.plans = [wire_plan("rp-web", west.items[:1], resource_group="rg-west", vault="rsv-west")]
    arm = FakeArm(east, west)
    monkeypatch.setattr(inventory_module, "open_connection", lambda *a, **k: FakeConnection(arm))
    config = {
        "plugin": PLUGIN,
        "resource_group": "rg-east",
        "vault_name": "rsv-east",
        "vaults": [
            {"resource_group": "rg-west", "vault_name": "rsv-west"},
            {"resource_group": "RG-EAST", "vault_name": "rsv-east"},
        ],
    }
    inventory = parse(tmp_path, config)
    assert sorted(inventory.hosts) == ["db01", "web01_rsv-east", "web01_rsv-west"]
    assert host_vars(inventory, "web01_rsv-west")["asr_vault_name"] == "rsv-west"
    assert host_vars(inventory, "web01_rsv-west")["vcenter_vm_name"] == "web01"
    assert members(inventory, "rp_web_rsv_east") == ["web01_rsv-east"]
    assert members(inventory, "rp_web_rsv_west") == ["web01_rsv-west"]
    assert arm.count("rsv-east/replicationProtectedItems") == 1  # listed twice in the config, read once


def test_vault_options_are_templated(tmp_path, connect, monkeypatch):
    monkeypatch.setenv("ASR_RESOURCE_GROUP", "rg-avs-dr")
    monkeypatch.setenv("ASR_VAULT_NAME", "rsv-avs-dr")
    config = {
        "plugin": PLUGIN,
        "resource_group": "{{ lookup('env', 'ASR_RESOURCE_GROUP') }}",
        "vault_name": "{{ lookup('env', 'ASR_VAULT_NAME') }}",
    }
    assert len(parse(tmp_path, config).hosts) == 7


# ---- credentials -----------------------------------------------------------------------------------------------------
def test_only_the_azure_options_written_in_the_file_reach_the_credential_resolution(tmp_path, connect):
    parse(tmp_path, VAULT_CONFIG | {"profile": "dr", "cert_validation_mode": "ignore"})
    params = connect[0]
    assert params["profile"] == "dr" and params["cert_validation_mode"] == "ignore"
    # unset: None, so that AZURE_* / ANSIBLE_AZURE_AUTH_SOURCE are read as by the modules
    assert params["auth_source"] is None and params["subscription_id"] is None and params["secret"] is None


def test_environment_credentials_are_resolved_as_by_the_modules(tmp_path, monkeypatch, inventory_module):
    seen = {}

    def build_credential(settings, cloud):
        seen["settings"] = settings
        raise AnsibleError("stop here")  # no sign-in in unit tests

    client_module = sys.modules["ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.client"]
    monkeypatch.setattr(client_module, "build_credential", build_credential)
    for name, value in {
        "AZURE_SUBSCRIPTION_ID": "sub-1",
        "AZURE_CLIENT_ID": "app-1",
        "AZURE_SECRET": "s3cr3t-value",
        "AZURE_TENANT": "tenant-1",
    }.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(AnsibleError, match="stop here"):
        parse(tmp_path, VAULT_CONFIG)
    settings = seen["settings"]
    assert (settings.source, settings.kind, settings.subscription_id) == ("env", "client_secret", "sub-1")


# ---- bad configurations: clear messages ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("config", "message"),
    [
        (VAULT_CONFIG | {"vault": "typo"}, r"unknown option\(s\) vault; the options are: .*vault_name"),
        ({"plugin": PLUGIN}, "no vault to read: set resource_group and vault_name"),
        ({"plugin": PLUGIN, "resource_group": "rg"}, "resource_group and vault_name go together"),
        ({"plugin": PLUGIN, "vaults": [{"resource_group": "rg"}]}, r"vaults\[0\] must have exactly"),
        ({"plugin": PLUGIN, "vaults": [{"resource_group": "rg", "vault_name": "v", "x": 1}]}, r"unknown: x"),
        ({"plugin": PLUGIN, "vaults": ["rg/v"]}, r"vaults\[0\] must be a dict"),
        (VAULT_CONFIG | {"auth_source": "nope"}, "Invalid value 'nope' for config 'auth_source'"),
    ],
)
def test_bad_configuration(tmp_path, connect, config, message):
    with pytest.raises(AnsibleError, match=message):
        parse(tmp_path, config)


def test_unknown_vault(tmp_path, connect):
    with pytest.raises(AnsibleParserError) as failure:
        parse(tmp_path, {"plugin": PLUGIN, "resource_group": "rg-avs-dr", "vault_name": "rsv-typo"})
    message = str(failure.value)
    assert "vault rsv-typo (resource group rg-avs-dr) not found in subscription 6f1f4c6e" in message
    assert "ResourceNotFound" in message and "Traceback" not in message


def test_no_credentials(tmp_path, monkeypatch):
    for name in list(__import__("os").environ):
        if name.startswith("AZURE_") or name == "ANSIBLE_AZURE_AUTH_SOURCE":
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))  # no az CLI either
    with pytest.raises(AnsibleParserError, match=r"Failed to get credentials\. Either pass as parameters"):
        parse(tmp_path, VAULT_CONFIG)


def test_only_config_files_of_this_plugin(tmp_path):
    plugin = inventory_loader.get(PLUGIN)
    for name, expected in [("x.asr.yml", True), ("x.asr.yaml", True), ("x.yml", False), ("asr.yml", False)]:
        (tmp_path / name).write_text("plugin: avsdr.site_recovery.asr\n")
        assert plugin.verify_file(str(tmp_path / name)) is expected


# ---- cache -----------------------------------------------------------------------------------------------------------
def test_cache_serves_the_second_run_and_holds_no_secret(tmp_path, connect, arm, monkeypatch):
    monkeypatch.setenv("AZURE_SECRET", "s3cr3t-value")
    cache_dir = tmp_path / "cache"
    config = VAULT_CONFIG | {
        "secret": "s3cr3t-value",
        "cache": True,
        "cache_plugin": "ansible.builtin.jsonfile",
        "cache_connection": str(cache_dir),
    }
    path = tmp_path / "cached.asr.yml"
    path.write_text(yaml.safe_dump(config))

    def run(use_cache: bool) -> InventoryData:
        plugin = inventory_loader.get(PLUGIN)
        inventory = InventoryData()
        plugin.parse(inventory, DataLoader(), str(path), cache=use_cache)
        plugin.update_cache_if_changed()
        return inventory

    first = run(False)  # ansible-inventory --flush-cache, or the first run
    requests_after_first = len(arm.requests)
    second = run(True)
    assert len(arm.requests) == requests_after_first == 9  # the second run read nothing from Azure
    assert sorted(second.hosts) == sorted(first.hosts)
    files = list(cache_dir.iterdir())
    assert files and all("s3cr3t" not in file.read_text() for file in files)
    cached = json.loads(files[0].read_text())
    cached = json.loads(cached["__payload__"]) if "__payload__" in cached else cached  # ansible-core >= 2.19
    assert len(cached["records"]) == 7


def test_cache_of_other_vaults_is_not_used(tmp_path, connect, arm):
    cache_dir = tmp_path / "cache"
    config = VAULT_CONFIG | {
        "cache": True,
        "cache_plugin": "ansible.builtin.jsonfile",
        "cache_connection": str(cache_dir),
    }
    path = tmp_path / "cached.asr.yml"
    path.write_text(yaml.safe_dump(config))
    plugin = inventory_loader.get(PLUGIN)
    plugin.parse(InventoryData(), DataLoader(), str(path), cache=False)
    plugin.update_cache_if_changed()
    path.write_text(yaml.safe_dump(config | {"vault_name": "rsv-typo"}))
    with pytest.raises(AnsibleParserError, match="rsv-typo"):
        inventory_loader.get(PLUGIN).parse(InventoryData(), DataLoader(), str(path), cache=True)


# ---- vCenter details (optional) --------------------------------------------------------------------------------------
class Ref:
    def __init__(self, moid):
        self._moId = moid


class FakeVCenter:
    """list_properties of VSphereClient over a tiny AVS inventory; records the reads and the connection."""

    instances: list = []

    def __init__(self, **connection):
        self.connection = connection
        self.reads = []
        self.closed = False
        FakeVCenter.instances.append(self)

    def list_properties(self, kind, paths):
        self.reads.append(kind)
        data = {
            "VirtualMachine": [
                ("vm-1", {"name": "web-win-01", "parent": Ref("group-v4"), "guest.guestFamily": "windowsGuest"}),
                ("vm-2", {"name": "app-lin-05", "parent": Ref("group-v3"), "config.guestId": "rhel8_64Guest"}),
                ("vm-3", {"name": "db-win-03", "parent": Ref("group-v4")}),
                ("vm-4", {"name": "db-win-03", "parent": Ref("group-v3")}),
                ("vm-5", {"name": "new-win-06", "parent": Ref("group-v4"), "config.guestId": "rhel8_64Guest"}),
            ],
            "Folder": [
                ("group-d1", {"name": "Datacenters"}),
                ("group-v3", {"name": "vm", "parent": Ref("datacenter-2")}),
                ("group-v4", {"name": "Workloads", "parent": Ref("group-v3")}),
            ],
            "Datacenter": [("datacenter-2", {"name": "SDDC-Datacenter", "parent": Ref("group-d1")})],
        }
        return data[kind]

    def close(self):
        self.closed = True


@pytest.fixture
def vcenter(monkeypatch, inventory_module):
    FakeVCenter.instances = []
    monkeypatch.setattr(inventory_module, "VSphereClient", FakeVCenter)
    for name, value in {"VMWARE_HOST": "vcenter.avs", "VMWARE_USER": "cloudadmin", "VMWARE_PASSWORD": "pw"}.items():
        monkeypatch.setenv(name, value)
    return FakeVCenter


def test_vcenter_details_add_folder_datacenter_and_missing_guest_os(tmp_path, connect, vcenter, arm):
    vault = next(iter(arm.vaults.values()))
    vault.items[4]["properties"]["providerSpecificDetails"].pop("osDetails")  # app-lin-05: the vault does not say
    inventory = parse(tmp_path, VAULT_CONFIG | {"vcenter_details": True})
    client = vcenter.instances[0]
    assert client.connection["hostname"] == "vcenter.avs" and client.connection["port"] == 443
    assert client.reads == ["VirtualMachine", "Folder", "Datacenter"] and client.closed
    web = host_vars(inventory, "web-win-01")
    assert (web["vcenter_vm_datacenter"], web["vcenter_vm_folder"], web["vm_guest_os"]) == (
        "SDDC-Datacenter",
        "Workloads",
        "windows",
    )
    app = host_vars(inventory, "app-lin-05")
    assert (app["vcenter_vm_folder"], app["vm_guest_os"]) == ("", "linux")
    assert "vcenter_vm_folder" not in host_vars(inventory, "db-win-03")  # two VMs of that name in vCenter
    assert "vcenter_vm_folder" not in host_vars(inventory, "legacy-win-07")  # not in vCenter
    assert host_vars(inventory, "new-win-06")["vm_guest_os"] == "windows"  # the vault's word wins


def test_vcenter_details_need_a_connection(tmp_path, connect, monkeypatch):
    for name in ("VMWARE_HOST", "VMWARE_USER", "VMWARE_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(AnsibleParserError, match=r"vcenter_details needs vcenter_hostname \(or VMWARE_HOST\)"):
        parse(tmp_path, VAULT_CONFIG | {"vcenter_details": True, "vcenter_username": "u", "vcenter_password": "p"})


def test_without_vcenter_details_vcenter_is_not_read(tmp_path, connect, vcenter):
    parse(tmp_path, VAULT_CONFIG)
    assert vcenter.instances == []
