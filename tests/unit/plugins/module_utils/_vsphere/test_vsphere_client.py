"""VSphereClient without a vCenter: reconnect once on an expired session, task waits with backoff and a deadline."""

from __future__ import annotations

import ssl
from types import SimpleNamespace
from unittest import mock

import pytest
from pyVmomi import vim, vmodl

from ansible_collections.avsdr.site_recovery.plugins.module_utils._vsphere import client as client_module
from ansible_collections.avsdr.site_recovery.plugins.module_utils._vsphere.client import VSphereClient, backoff_delays
from ansible_collections.avsdr.site_recovery.plugins.module_utils._vsphere.errors import VSphereError
from ansible_collections.avsdr.site_recovery.tests.unit.plugins.module_utils._vmtools.fake_vsphere import FakeClock


def retrieve_result(moid: str, **props):
    prop_set = [SimpleNamespace(name=name, val=value) for name, value in props.items()]
    return SimpleNamespace(objects=[SimpleNamespace(obj=SimpleNamespace(_moId=moid), propSet=prop_set)], token=None)


@pytest.fixture
def sessions():
    """Every SmartConnect returns a new fake session; each collector answers from the ``answers`` list."""
    answers: list = []
    created: list = []

    def smart_connect(**kwargs):
        collector = mock.Mock()
        collector.RetrievePropertiesEx.side_effect = lambda **_: _next(answers)
        created.append(kwargs)
        return SimpleNamespace(content=SimpleNamespace(propertyCollector=collector))

    with mock.patch.object(client_module, "SmartConnect", side_effect=smart_connect):
        yield SimpleNamespace(answers=answers, created=created)


def _next(answers):
    answer = answers.pop(0)
    if isinstance(answer, BaseException):
        raise answer
    return answer


def make_client(clock=None, **kwargs) -> VSphereClient:
    clock = clock or FakeClock()
    return VSphereClient(
        "vcenter.example", "cloudadmin@vsphere.local", "pw", sleep=clock.sleep, clock=clock.monotonic, **kwargs
    )


def test_expired_session_logs_in_again_once(sessions):
    sessions.answers += [vim.fault.NotAuthenticated(msg="session gone"), retrieve_result("vm-1", name="web")]
    client = make_client()
    assert client.get_properties("VirtualMachine", "vm-1", ["name"]) == {"name": "web"}
    assert len(sessions.created) == 2


def test_expired_session_reported_in_missing_set_logs_in_again(sessions):
    # vcsim (and vCenter for per-object denials) answers RetrievePropertiesEx with faults in missingSet.
    denied = SimpleNamespace(
        objects=[
            SimpleNamespace(
                obj=SimpleNamespace(_moId="vm-1"),
                propSet=[],
                missingSet=[SimpleNamespace(path="name", fault=vim.fault.NotAuthenticated(privilegeId="System.Read"))],
            )
        ],
        token=None,
    )
    sessions.answers += [denied, retrieve_result("vm-1", name="web")]
    assert make_client().get_properties("VirtualMachine", "vm-1", ["name"]) == {"name": "web"}
    assert len(sessions.created) == 2


def test_missing_privilege_in_missing_set_is_an_error(sessions):
    denied = SimpleNamespace(
        objects=[
            SimpleNamespace(
                obj=SimpleNamespace(_moId="vm-1"),
                propSet=[],
                missingSet=[SimpleNamespace(path="name", fault=vim.fault.NoPermission(privilegeId="System.Read"))],
            )
        ],
        token=None,
    )
    sessions.answers.append(denied)
    with pytest.raises(VSphereError) as raised:
        make_client().get_properties("VirtualMachine", "vm-1", ["name"])
    assert raised.value.fault == "NoPermission"
    assert "System.Read" in raised.value.hint


def test_session_expiring_twice_is_an_error(sessions):
    sessions.answers += [vim.fault.NotAuthenticated(msg="gone"), vim.fault.NotAuthenticated(msg="gone again")]
    with pytest.raises(VSphereError) as raised:
        make_client().get_properties("VirtualMachine", "vm-1", ["name"])
    assert raised.value.fault == "NotAuthenticated"
    assert str(raised.value).startswith("Failed to read name of VirtualMachine vm-1: NotAuthenticated: gone again")
    assert len(sessions.created) == 2


def test_missing_object_reads_as_none(sessions):
    sessions.answers.append(vmodl.fault.ManagedObjectNotFound(msg="deleted"))
    assert make_client().get_properties("VirtualMachine", "vm-9", ["name"]) is None


def test_several_objects_in_one_read_a_missing_one_left_out(sessions):
    both = SimpleNamespace(
        objects=[
            SimpleNamespace(obj=SimpleNamespace(_moId=moid), propSet=[SimpleNamespace(name="name", val=name)])
            for moid, name in (("vm-1", "web"), ("vm-3", "db"))
        ],
        token=None,
    )
    sessions.answers += [vmodl.fault.ManagedObjectNotFound(msg="deleted", obj=vim.VirtualMachine("vm-2")), both]
    client = make_client()
    assert client.get_properties_of("VirtualMachine", ["vm-1", "vm-2", "vm-3"], ["name"]) == {
        "vm-1": {"name": "web"},
        "vm-3": {"name": "db"},
    }
    calls = client.content.propertyCollector.RetrievePropertiesEx.call_args_list
    assert [len(call.kwargs["specSet"][0].objectSet) for call in calls] == [3, 2]  # one read, again without vm-2


def test_several_objects_unknown_missing_object_is_an_error(sessions):
    sessions.answers.append(vmodl.fault.ManagedObjectNotFound(msg="deleted", obj=vim.Folder("group-9")))
    with pytest.raises(VSphereError, match="ManagedObjectNotFound"):
        make_client().get_properties_of("VirtualMachine", ["vm-1"], ["name"])


def test_certificate_validation_is_on_by_default(sessions):
    sessions.answers.append(retrieve_result("vm-1", name="web"))
    make_client().get_properties("VirtualMachine", "vm-1", ["name"])
    context = sessions.created[0]["sslContext"]
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert sessions.created[0]["disableSslCertValidation"] is False


def test_validate_certs_false_and_proxy(sessions):
    sessions.answers.append(retrieve_result("vm-1", name="web"))
    make_client(validate_certs=False, proxy_host="proxy", port=8989).get_properties("VirtualMachine", "vm-1", ["name"])
    created = sessions.created[0]
    assert created["sslContext"].verify_mode == ssl.CERT_NONE
    assert (created["port"], created["httpProxyHost"], created["httpProxyPort"]) == (8989, "proxy", 80)


def test_connection_refused_is_translated(sessions):
    refused = mock.patch.object(client_module, "SmartConnect", side_effect=ConnectionRefusedError(111, "refused"))
    with refused, pytest.raises(VSphereError) as raised:
        make_client().get_properties("VirtualMachine", "vm-1", ["name"])
    assert str(raised.value).startswith("Failed to connect to vCenter vcenter.example:443 as cloudadmin@vsphere.local")
    assert "reachable" in raised.value.hint


def task_info(state, error=None):
    return retrieve_result("task-1", info=SimpleNamespace(state=state, error=error))


def test_task_wait_backs_off_until_success(sessions):
    clock = FakeClock()
    sessions.answers += [task_info("queued"), task_info("running"), task_info("running"), task_info("success")]
    make_client(clock).wait_for_task("task-1", "power on VM vm-1", timeout=60)
    assert len(clock.sleeps) == 3
    assert clock.sleeps[0] < clock.sleeps[1] < clock.sleeps[2]


def test_task_error_is_the_translated_fault(sessions):
    fault = vim.fault.InvalidPowerState(msg="already on")
    sessions.answers.append(task_info("error", fault))
    with pytest.raises(VSphereError) as raised:
        make_client().wait_for_task("task-1", "power on VM vm-1", timeout=60)
    assert (raised.value.operation, raised.value.fault, raised.value.message) == (
        "power on VM vm-1",
        "InvalidPowerState",
        "already on",
    )


def test_task_timeout(sessions):
    clock = FakeClock()
    sessions.answers += [task_info("running")] * 50
    with pytest.raises(VSphereError) as raised:
        make_client(clock).wait_for_task("task-1", "upgrade VMware Tools in VM vm-1", timeout=10)
    assert "task task-1 still running after 10 s" in str(raised.value)
    assert clock.now == pytest.approx(1010)


def test_backoff_is_capped():
    delays = backoff_delays(0.5, 8.0)
    values = [next(delays) for _attempt in range(10)]
    assert 0.5 <= values[0] <= 0.55
    assert all(value <= 8.8 for value in values)
    assert values[-1] >= 8.0
