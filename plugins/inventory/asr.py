# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# ruff: noqa: E402 (plugins import after their documentation strings)
from __future__ import annotations

DOCUMENTATION = r"""
name: asr
short_description: One host per VM protected by Azure Site Recovery, grouped by recovery plan, stage and OS
version_added: 0.1.0
description:
  - Reads one or more Recovery Services vaults and makes one inventory host per replication protected item of the
    VMware providers (classic C(InMage) / C(InMageAzureV2), modernized C(InMageRcm) / C(InMageRcmFailback)), with
    exactly the host variables the failback runbook (C(playbooks/failback.yml)) reads.
  - The configuration file must end in C(.asr.yml) or C(.asr.yaml).
  - "Host name: the VM's friendly name in the vault. When several items share a name, all of them are qualified
    alike (no vault wins by being listed first): C(<name>_<vault>), then C(<name>_<resource group>_<vault>), then
    with the protected item's name appended as well. C(asr_protected_item) always holds the item's ARM id, so the
    runbook never has to resolve a name."
  - "Groups: one per recovery plan, named after the plan (V(rp-web) becomes C(rp_web); O(recovery_plan_group_prefix)
    goes in front; when two vaults have a plan of the same name, C(<plan>_<vault>)), so that C(--limit rp_web) takes
    the whole plan. Then, with O(group_prefix) in front: C(stage_<stage>) (for example C(asr_stage_failback_ready)),
    C(architecture_classic) / C(architecture_modernized), C(os_windows) / C(os_linux) / C(os_unknown),
    C(replication_group_<group>) and C(vault_<vault>). O(groups), O(keyed_groups) and O(compose) add your own."
  - "A VM in several recovery plans is in the group of each and lists them all in C(asr_recovery_plans); it fails
    back with one of them, C(asr_recovery_plan): the first of its plans named in O(recovery_plan_precedence), else
    the first by name. The runbook's preflight counts it as a member of every plan it is in, so a plan is refused
    unless all its members are in the run and ready, as for any plan."
  - "Reads per vault: the protected items (one paged list, following C(nextLink)), the recovery plans (one list, then
    one GET per plan that may hold VMware items, because a plan list carries no members), and the fabrics only when
    an item names its process server by id alone. Nothing is read per item; C(-v) prints the request count."
  - Credentials are those of the collection's modules (same options, E(AZURE_*) variables, C(~/.azure/credentials)
    profiles, Azure CLI, managed identity), so an AWX I(Microsoft Azure Resource Manager) credential attached to the
    inventory source works as is.
author:
  - avsdr.site_recovery contributors (@avsdr)
options:
  plugin:
    description: The name of this plugin; it makes the file a configuration of this plugin.
    type: str
    required: true
    choices: [avsdr.site_recovery.asr]
  resource_group:
    description:
      - Resource group of the Recovery Services vault. With O(vault_name), one vault; O(vaults) adds more.
      - May be a Jinja2 template, for example C("{{ lookup('env', 'ASR_RESOURCE_GROUP') }}").
    type: str
  vault_name:
    description:
      - Name of the Recovery Services vault, in O(resource_group).
      - May be a Jinja2 template.
    type: str
  vaults:
    description:
      - Several vaults, in the subscription of the credentials. Read in this order; a vault listed twice is read
        once.
    type: list
    elements: dict
    default: []
    suboptions:
      resource_group:
        description: Resource group of the vault (may be a Jinja2 template).
        type: str
        required: true
      vault_name:
        description: Name of the vault (may be a Jinja2 template).
        type: str
        required: true
  recovery_plan_group_prefix:
    description: Put in front of the name of every recovery plan group.
    type: str
    default: ""
  group_prefix:
    description: Put in front of the name of every other group the plugin makes (stage, architecture, OS, ...).
    type: str
    default: asr_
  recovery_plan_precedence:
    description:
      - Recovery plans, most preferred first, that decide C(asr_recovery_plan) for a VM in several plans. A VM whose
        plans are not listed fails back with the first of its plans by name.
    type: list
    elements: str
    default: []
  filters:
    description:
      - Jinja2 conditionals on the host variables (including those of O(compose)); a VM is in the inventory only
        when all of them are true, for example C(asr_stage != 'reprotected').
      - A recovery plan is never split - a VM that fails the filters stays when another VM of one of its plans is in,
        because the plan fails over as one unit.
      - With O(strict), a filter that cannot be evaluated is an error; otherwise the VM is left out with a warning.
    type: list
    elements: str
    default: []
  vcenter_details:
    description:
      - Also read the AVS vCenter, to set C(vcenter_vm_folder) and C(vcenter_vm_datacenter) of every VM whose name is
        unique there, and C(vm_guest_os) where the vault does not say. Three reads in all (the VMs, the folders and
        the datacenters, each in one property-collector call), none per VM.
      - The connection comes from the C(vcenter_*) options or the E(VMWARE_*) variables that AWX's I(VMware vCenter)
        credential injects, as for M(avsdr.site_recovery.vmware_tools_state).
    type: bool
    default: false
  vcenter_hostname:
    description: The vCenter server, for O(vcenter_details).
    type: str
    env:
      - name: VMWARE_HOST
  vcenter_username:
    description: The user to log in to vCenter with, for O(vcenter_details).
    type: str
    env:
      - name: VMWARE_USER
  vcenter_password:
    description: The password of O(vcenter_username).
    type: str
    env:
      - name: VMWARE_PASSWORD
  vcenter_port:
    description: The port vCenter listens on.
    type: int
    default: 443
    env:
      - name: VMWARE_PORT
  vcenter_validate_certs:
    description:
      - Whether to validate the TLS certificate of vCenter, against the system CAs or the bundle named by
        E(REQUESTS_CA_BUNDLE).
    type: bool
    default: true
    env:
      - name: VMWARE_VALIDATE_CERTS
extends_documentation_fragment:
  - avsdr.site_recovery.azure_auth
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
notes:
  - "Host variables: C(asr_protected_item) (ARM id of the item), C(asr_recovery_plan) (empty when none),
    C(asr_recovery_plans), C(vm_guest_os) (V(windows), V(linux), or V(auto) when the vault does not say),
    C(vcenter_vm_name), C(asr_resource_group), C(asr_vault_name), C(asr_stage) (the stage vocabulary of
    M(avsdr.site_recovery.asr_protected_item_info)), C(asr_provider), C(asr_architecture), C(asr_replication_group),
    C(asr_replication_health) (Azure's word, for example V(Normal)), C(asr_last_recovery_point_time) (null when the
    provider reports none in the item) and C(asr_process_server) (for C(InMageRcmFailback), the reprotect agent)."
  - The vCenter folder and datacenter of a VM are not known to ASR; O(vcenter_details) reads them from vCenter, or
    set C(vcenter_vm_folder) and C(vcenter_vm_datacenter) with O(compose) when VM names repeat in vCenter.
  - The inventory cache holds the facts read from Azure (the host variables above), never credentials.
"""

EXAMPLES = r"""
# demo.asr.yml: one vault; credentials from the AZURE_* environment (AWX: the Azure Resource Manager credential)
plugin: avsdr.site_recovery.asr
resource_group: rg-avs-dr
vault_name: rsv-avs-dr

# The same with the vault from the environment
plugin: avsdr.site_recovery.asr
resource_group: "{{ lookup('env', 'ASR_RESOURCE_GROUP') }}"
vault_name: "{{ lookup('env', 'ASR_VAULT_NAME') }}"

# Two vaults, a credentials profile, only VMs that still have to fail back, the vCenter folder set by convention,
# groups per provider, and a cache of one hour
plugin: avsdr.site_recovery.asr
profile: dr-operator
vaults:
  - {resource_group: rg-dr-east, vault_name: rsv-east}
  - {resource_group: rg-dr-west, vault_name: rsv-west}
recovery_plan_precedence: [rp-erp]
filters:
  - asr_stage != 'reprotected'
compose:
  vcenter_vm_folder: "'Workloads'"
keyed_groups:
  - key: asr_provider | lower
    prefix: provider
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/asr-inventory
cache_timeout: 3600
"""

import os
import threading
from collections import Counter

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.inventory import (
    GUEST_OS_UNKNOWN,
    Vault,
    chosen_plan,
    host_names,
    keep_plans_whole,
    plan_group_names,
    plan_key,
    read_vault,
    unique_vaults,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.resources import AsrResources
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.argspec import azure_auth_argument_spec
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.client import (
    collection_user_agent,
    open_connection,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import (
    AzureApiError,
    AzureError,
    translate_azure_error,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.module import missing_libraries
from ansible_collections.avsdr.site_recovery.plugins.module_utils._vsphere.client import VSphereClient
from ansible_collections.avsdr.site_recovery.plugins.module_utils._vsphere.errors import VSphereError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._vsphere.lookup import guest_family, locations_by_name

CACHE_VERSION = 2
PREFIX = "avsdr.site_recovery.asr: "
AUTH_OPTIONS = tuple(azure_auth_argument_spec())


class RequestCounter:
    """An azure-core raw_response_hook: counts the HTTP responses the SDK client received, per resource kind."""

    KINDS = ("replicationProtectedItems", "replicationRecoveryPlans", "replicationFabrics")

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self._lock = threading.Lock()

    def __call__(self, response) -> None:
        path = response.http_request.url.split("?", 1)[0].lower()
        kind = next((kind for kind in self.KINDS if f"/{kind.lower()}" in path), "other")
        with self._lock:
            self.counts[kind] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def describe(self) -> str:
        parts = ", ".join(f"{kind} {count}" for kind, count in sorted(self.counts.items()))
        return f"{self.total} Azure Resource Manager requests ({parts or 'none'})"


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "avsdr.site_recovery.asr"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith((".asr.yml", ".asr.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path)
        config = self._read_config_data(path)
        self._reject_unknown_options(config)
        vaults = self._vaults()
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache")
        records = None
        if use_cache and cache:
            records = self._cached_records(cache_key, vaults)
        if records is None:
            records = self._read_vaults(config, vaults)
            if self.get_option("vcenter_details"):
                self._add_vcenter_details(records)
            if use_cache:
                self._cache[cache_key] = {"version": CACHE_VERSION, "source": self._source(vaults), "records": records}
        self._populate(records)

    # ---- configuration ---------------------------------------------------------------------------------------------
    def _reject_unknown_options(self, config) -> None:
        unknown = sorted(set(config) - set(self._options))
        if unknown:
            raise AnsibleParserError(
                f"{PREFIX}unknown option(s) {', '.join(unknown)}; the options are: {', '.join(sorted(self._options))}"
            )

    def _template(self, value, what: str):
        if isinstance(value, str) and self.templar.is_template(value):
            try:
                value = self.templar.template(value)
            except AnsibleError as exc:
                raise AnsibleParserError(f"{PREFIX}cannot template {what}: {to_native(exc)}") from exc
        return value

    def _vaults(self) -> list[Vault]:
        wanted = []
        resource_group = self._template(self.get_option("resource_group"), "resource_group")
        vault_name = self._template(self.get_option("vault_name"), "vault_name")
        if resource_group or vault_name:
            if not (resource_group and vault_name):
                raise AnsibleParserError(
                    f"{PREFIX}resource_group and vault_name go together: set both (or list vaults under 'vaults')"
                )
            wanted.append(Vault(str(resource_group), str(vault_name)))
        for index, entry in enumerate(self.get_option("vaults") or []):
            if not isinstance(entry, dict):
                raise AnsibleParserError(f"{PREFIX}vaults[{index}] must be a dict with resource_group and vault_name")
            unknown = sorted(set(entry) - {"resource_group", "vault_name"})
            group = self._template(entry.get("resource_group"), f"vaults[{index}].resource_group")
            name = self._template(entry.get("vault_name"), f"vaults[{index}].vault_name")
            if unknown or not group or not name:
                raise AnsibleParserError(
                    f"{PREFIX}vaults[{index}] must have exactly resource_group and vault_name"
                    + (f" (unknown: {', '.join(unknown)})" if unknown else "")
                )
            wanted.append(Vault(str(group), str(name)))
        if not wanted:
            raise AnsibleParserError(
                f"{PREFIX}no vault to read: set resource_group and vault_name, or vaults (a list of resource_group and "
                "vault_name)"
            )
        return unique_vaults(wanted)

    def _auth_params(self, config) -> dict:
        """The Azure options written in the file; the others stay None so that the collection's credential
        resolution reads the AZURE_* environment, profiles and the CLI exactly as the modules do."""
        return {name: (self.get_option(name) if name in config else None) for name in AUTH_OPTIONS}

    def _source(self, vaults: list[Vault]) -> dict:
        """What the cached records were read from: a cache of other vaults (or without vCenter) is not used."""
        return {"vaults": [vault.key for vault in vaults], "vcenter": bool(self.get_option("vcenter_details"))}

    def _cached_records(self, cache_key: str, vaults: list[Vault]):
        try:
            cached = self._cache[cache_key]
        except KeyError:
            return None
        if (
            not isinstance(cached, dict)
            or cached.get("version") != CACHE_VERSION
            or cached.get("source") != self._source(vaults)
        ):
            return None
        self.display.v(f"{PREFIX}{len(cached['records'])} protected items from the cache")
        return cached["records"]

    # ---- Azure -----------------------------------------------------------------------------------------------------
    def _read_vaults(self, config, vaults: list[Vault]) -> list[dict]:
        missing, _traceback = missing_libraries()
        if missing:
            raise AnsibleParserError(
                f"{PREFIX}needs the Python packages {', '.join(missing)} on the "
                "controller (in AWX, in the execution environment): pip install -r requirements.txt of the collection"
            )
        connection = None
        counter = RequestCounter()
        records: list[dict] = []
        try:
            connection = open_connection(
                self._auth_params(config), os.environ, user_agent=collection_user_agent(ANSIBLE_VERSION)
            )
            client = connection.site_recovery_client(raw_response_hook=counter)
            for vault in vaults:
                records.extend(read_vault(AsrResources(client, vault.resource_group, vault.vault_name), vault))
        except (AzureApiError, AzureError, AsrError, OSError, ValueError) as exc:
            raise AnsibleParserError(self._failure(exc, connection)) from None
        self.display.v(f"{PREFIX}{len(records)} protected items from {len(vaults)} vault(s) in {counter.describe()}")
        return records

    @staticmethod
    def _failure(exc: BaseException, connection) -> str:
        if isinstance(exc, AsrError):
            return f"{PREFIX}{exc}"
        error = translate_azure_error(exc)
        hint = connection.sign_in_hint(error) if connection else None
        return f"{PREFIX}{error}" + (f" {hint}" if hint else "")

    # ---- vCenter (optional) ----------------------------------------------------------------------------------------
    def _vcenter_client(self) -> VSphereClient:
        variables = {"hostname": "VMWARE_HOST", "username": "VMWARE_USER", "password": "VMWARE_PASSWORD"}
        connection = {name: self.get_option(f"vcenter_{name}") for name in variables}
        missing = [f"vcenter_{name} (or {env})" for name, env in variables.items() if not connection[name]]
        if missing:
            raise AnsibleParserError(f"{PREFIX}vcenter_details needs {', '.join(missing)}")
        return VSphereClient(
            port=self.get_option("vcenter_port"),
            validate_certs=self.get_option("vcenter_validate_certs"),
            # Same trust store as the vSphere modules when one is configured.
            ca_file=os.environ.get("REQUESTS_CA_BUNDLE") or None,
            **connection,
        )

    def _add_vcenter_details(self, records: list[dict]) -> None:
        """vcenter_vm_folder / vcenter_vm_datacenter (and the guest OS the vault did not give) from three reads."""
        client = self._vcenter_client()
        try:
            vms = client.list_properties("VirtualMachine", ["name", "parent", "guest.guestFamily", "config.guestId"])
            containers = {}
            for kind in ("Folder", "Datacenter"):
                for moid, props in client.list_properties(kind, ["name", "parent"]):
                    parent = props.get("parent")
                    containers[moid] = (kind, props.get("name"), getattr(parent, "_moId", None))
        except VSphereError as exc:
            raise AnsibleParserError(f"{PREFIX}{exc}") from None
        finally:
            client.close()
        located = locations_by_name(
            [(moid, props.get("name"), getattr(props.get("parent"), "_moId", None)) for moid, props in vms], containers
        )
        families = {
            moid: guest_family(props.get("guest.guestFamily"), props.get("config.guestId")) for moid, props in vms
        }
        for record in records:
            candidates = located.get(record["vcenter_vm_name"], [])
            if len(candidates) > 1:
                self.display.warning(
                    f"{PREFIX}{len(candidates)} VMs are named {record['vcenter_vm_name']} in vCenter "
                    f"({'; '.join(location.path for location in candidates)}): set vcenter_vm_folder with compose"
                )
            if len(candidates) != 1:
                continue
            location = candidates[0]
            record["vcenter_vm_datacenter"] = location.datacenter
            record["vcenter_vm_folder"] = location.folder
            record["guest_os"] = record["guest_os"] or families.get(location.moid)

    # ---- inventory -------------------------------------------------------------------------------------------------
    def _host_vars(self, record: dict) -> dict:
        known_in_vcenter = {
            name: record[name]
            for name in ("vcenter_vm_folder", "vcenter_vm_datacenter")
            if record.get(name) is not None
        }
        return known_in_vcenter | {
            "asr_protected_item": record["id"],
            "asr_recovery_plan": chosen_plan(record["recovery_plans"], self.get_option("recovery_plan_precedence")),
            "asr_recovery_plans": list(record["recovery_plans"]),
            "vm_guest_os": record["guest_os"] or GUEST_OS_UNKNOWN,
            "vcenter_vm_name": record["vcenter_vm_name"],
            "asr_resource_group": record["resource_group"],
            "asr_vault_name": record["vault_name"],
            "asr_stage": record["stage"],
            "asr_provider": record["provider"],
            "asr_architecture": record["architecture"],
            "asr_replication_group": record["replication_group"],
            "asr_replication_health": record["replication_health"],
            "asr_last_recovery_point_time": record["last_recovery_point_time"],
            "asr_process_server": record["process_server"],
        }

    def _composed(self, host: str, variables: dict, strict: bool) -> dict:
        composed = {}
        for name, expression in (self.get_option("compose") or {}).items():
            try:
                composed[name] = self._compose(expression, variables)
            except Exception as exc:
                if strict:
                    raise AnsibleParserError(f"{PREFIX}could not set {name} for host {host}: {to_native(exc)}") from exc
        return composed

    def _passes_filters(self, host: str, variables: dict, strict: bool) -> bool:
        for expression in self.get_option("filters") or []:
            try:
                result = self._compose(expression, variables)
            except Exception as exc:
                if strict:
                    raise AnsibleParserError(
                        f"{PREFIX}could not evaluate filter {expression!r} for host {host}: {to_native(exc)}"
                    ) from exc
                self.display.warning(f"{PREFIX}{host} left out, filter {expression!r} failed: {exc}")
                return False
            if not boolean(result, strict=False):
                return False
        return True

    def _builtin_groups(self, record: dict, plan_groups: dict) -> list[str]:
        prefix = self.get_option("group_prefix") or ""
        groups = [plan_groups[plan_key(record, plan)] for plan in record["recovery_plans"]]
        groups.append(f"{prefix}stage_{record['stage']}")
        if record["architecture"]:
            groups.append(f"{prefix}architecture_{record['architecture']}")
        groups.append(f"{prefix}os_{record['guest_os'] or 'unknown'}")
        if record["replication_group"]:
            groups.append(f"{prefix}replication_group_{record['replication_group']}")
        groups.append(f"{prefix}vault_{record['vault_name']}")
        return groups

    def _populate(self, records: list[dict]) -> None:
        strict = self.get_option("strict")
        names = host_names(records)
        plan_groups = plan_group_names(records, self.get_option("recovery_plan_group_prefix") or "")
        prepared = {}
        for record in records:
            host = names[record["id"]]
            variables = self._host_vars(record)
            composed = self._composed(host, variables, strict)
            prepared[record["id"]] = (host, variables, composed)
        passing = {
            item_id
            for item_id, (host, variables, composed) in prepared.items()
            if self._passes_filters(host, {**variables, **composed}, strict)
        }
        kept = keep_plans_whole(records, passing)
        # Hosts in name order and the plugin's groups created in name order: the same graph on every run.
        kept_records = sorted((record for record in records if record["id"] in kept), key=lambda r: names[r["id"]])
        builtin = {
            record["id"]: [self._sanitize_group_name(group) for group in self._builtin_groups(record, plan_groups)]
            for record in kept_records
        }
        for group in sorted({group for groups in builtin.values() for group in groups}):
            self.inventory.add_group(group)
        for record in kept_records:
            host, variables, composed = prepared[record["id"]]
            all_variables = {**variables, **composed}
            self.inventory.add_host(host)
            for name, value in all_variables.items():
                self.inventory.set_variable(host, name, value)
            for group in builtin[record["id"]]:
                self.inventory.add_child(group, host)
            self._add_host_to_composed_groups(self.get_option("groups"), all_variables, host, strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), all_variables, host, strict)
