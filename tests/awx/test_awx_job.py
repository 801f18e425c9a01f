"""The failback playbook run the way AWX runs a job template, against the emulated Azure + AVS.

AWX first updates the inventory source: for a source *Sourced from a Project* it runs ``ansible-inventory --list
--export`` through ansible-runner on the project's file (here ``inventory/demo.asr.yml``, the
``avsdr.site_recovery.asr`` plugin), with the source's credential (Microsoft Azure Resource Manager) injected and
the source variables as environment variables; the job then reads the result from ``inventory/hosts``, a script
that prints it. The job's private data dir has ``env/envvars`` with what the job's credential types inject (Azure
Resource Manager and VMware vCenter), ``env/extravars`` with the survey answers and AWX's own ``awx_*`` variables,
``inventory/hosts``, and ``project/`` (the checkout of the project). This test does both the same way, runs
``playbooks/failback.yml`` through ansible-runner and reads what AWX would keep: the status, the rc and the
``set_stats`` artifacts of the ``playbook_on_stats`` event.

Run it with ``make awx-test`` (which brings the emulators up and sets EMULATORS_DIR).
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import sys
from pathlib import Path

import ansible_runner
import pytest
import requests
import yaml

REPO = Path(__file__).resolve().parents[2]
READY_VMS = {"web-win-01", "web-lin-02", "db-win-03", "db-lin-04", "app-lin-05"}
AZURE_CREDENTIAL_ENV = (
    "AZURE_SUBSCRIPTION_ID",
    "AZURE_CLIENT_ID",
    "AZURE_SECRET",
    "AZURE_TENANT",
    "AZURE_CLOUD_ENVIRONMENT",
)
VCENTER_CREDENTIAL_ENV = ("VMWARE_HOST", "VMWARE_USER", "VMWARE_PASSWORD", "VMWARE_VALIDATE_CERTS")
# Not injected by the two credential types: the emulators' CA (in a real EE, the system trust store), vcsim's port
# (a real vCenter listens on 443) and the private-cloud sign-in switch; AWX passes such values through its
# "Extra Environment Variables" setting.
SITE_ENV = ("REQUESTS_CA_BUNDLE", "VMWARE_PORT", "AZURE_DISABLE_INSTANCE_DISCOVERY")
# The inventory source: the project's plugin configuration, and its source variables (AWX hands those of a project
# source to the update as environment variables).
INVENTORY_SOURCE = "inventory/demo.asr.yml"
SOURCE_VARIABLES = ("ASR_RESOURCE_GROUP", "ASR_VAULT_NAME")
# What AWX gives the job as its inventory: a script that prints the update's result.
INVENTORY_SCRIPT = """#!{python}
import sys
sys.stdout.write({listing!r})
"""


def _emulator_env() -> dict[str, str]:
    env_file = Path(os.environ.get("EMULATORS_DIR", ".emulators")) / "env.sh"
    if not env_file.is_file():
        pytest.fail(f"{env_file} not found: run this test with `make awx-test`, which brings the emulators up")
    values = {}
    for line in env_file.read_text().splitlines():
        if line.startswith("export "):
            name, value = line[len("export ") :].split("=", 1)
            values[name] = shlex.split(value)[0] if value else ""
    values.setdefault("AZURE_DISABLE_INSTANCE_DISCOVERY", "true")
    return values


@pytest.fixture(scope="module")
def emulator_env() -> dict[str, str]:
    values = _emulator_env()
    response = requests.post(
        f"{values['ASR_EMULATOR_URL']}/_emulator/reset", verify=values["REQUESTS_CA_BUNDLE"], timeout=30
    )
    response.raise_for_status()
    return values


SURVEY_ANSWERS = {
    "asr_resource_group": "rg-avs-dr",
    "asr_vault_name": "rsv-avs-dr",
    "reprotect_process_server": "ps-onprem-01",
    "failback_source_vm_resource_group": "rg-avs-dr",
    "failback_recovery_point": "latest",
    "failback_commit": True,
    "preflight_skip_unready": True,
    "failback_poll_interval": 2,
    "reprotect_poll_interval": 2,
}


@pytest.fixture(scope="module")
def private_data_dir(tmp_path_factory, emulator_env) -> Path:
    # Verbosity 3 (-vvv, as a job template's "Verbosity: 3 (Debug)") and the summary file: the secrets test below
    # greps everything such a run writes.
    root = tmp_path_factory.mktemp("awx-job")
    answers = SURVEY_ANSWERS | {"summary_report_file": str(root / "summary.json")}
    return _lay_out(root, emulator_env, answers, "--forks 10 -vvv")


@pytest.fixture(scope="module")
def check_job_data_dir(tmp_path_factory, emulator_env) -> Path:
    """A Check job (job type Check: --check) whose survey left the process server empty."""
    answers = {name: value for name, value in SURVEY_ANSWERS.items() if name != "reprotect_process_server"}
    return _lay_out(tmp_path_factory.mktemp("awx-check-job"), emulator_env, answers, "--forks 10 --check")


def _lay_out(root: Path, emulator_env: dict[str, str], survey_answers: dict, cmdline: str) -> Path:
    (root / "env").mkdir()
    envvars = {name: emulator_env[name] for name in AZURE_CREDENTIAL_ENV + VCENTER_CREDENTIAL_ENV + SITE_ENV}
    # AWX installs the project's collections under the private data dir and points the collections path there.
    collections = root / "requirements_collections" / "ansible_collections" / "avsdr"
    collections.mkdir(parents=True)
    (collections / "site_recovery").symlink_to(REPO)
    envvars["ANSIBLE_COLLECTIONS_PATH"] = str(root / "requirements_collections")
    envvars["PATH"] = f"{REPO / '.venv' / 'bin'}:{os.environ.get('PATH', '')}"
    (root / "env" / "envvars").write_text(yaml.safe_dump(envvars))
    awx_variables = {"awx_job_id": 4242, "awx_job_launch_type": "scheduled", "awx_job_template_name": "AVS failback"}
    (root / "env" / "extravars").write_text(yaml.safe_dump(survey_answers | awx_variables))
    (root / "env" / "settings").write_text(yaml.safe_dump({"job_timeout": 600, "idle_timeout": 300}))
    (root / "env" / "cmdline").write_text(cmdline)
    (root / "inventory").mkdir()
    hosts = root / "inventory" / "hosts"
    hosts.write_text(INVENTORY_SCRIPT.format(python=sys.executable, listing=_inventory_update(root, emulator_env)))
    hosts.chmod(hosts.stat().st_mode | stat.S_IXUSR)
    (root / "project").symlink_to(REPO)
    return root


def _inventory_update(root: Path, emulator_env: dict[str, str]) -> str:
    """The update of a project inventory source: ansible-inventory --list --export through ansible-runner, with only
    the Azure credential's variables, the site settings and the source variables in its environment."""
    envvars = {name: emulator_env[name] for name in AZURE_CREDENTIAL_ENV + SITE_ENV + SOURCE_VARIABLES}
    envvars["ANSIBLE_COLLECTIONS_PATH"] = str(root / "requirements_collections")
    envvars["ANSIBLE_INVENTORY_UNPARSED_FAILED"] = "True"
    envvars["PATH"] = f"{REPO / '.venv' / 'bin'}:{os.environ.get('PATH', '')}"
    update_dir = root.parent / f"{root.name}-inventory-update"
    update_dir.mkdir()
    listing, errors = ansible_runner.get_inventory(
        action="list",
        inventories=[str(REPO / INVENTORY_SOURCE)],
        response_format="json",
        export=True,
        private_data_dir=str(update_dir),
        envvars=envvars,
        quiet=True,
    )
    assert listing, f"the inventory update failed: {errors}"
    text = json.dumps(listing)
    assert emulator_env["AZURE_SECRET"] not in text + errors, "a credential leaked into the inventory"
    (root / "inventory-update.json").write_text(text)
    return text


def test_the_inventory_update_lists_every_vm_of_the_vault(private_data_dir):
    listing = json.loads((private_data_dir / "inventory-update.json").read_text())
    assert set(listing["_meta"]["hostvars"]) == READY_VMS | {"new-win-06", "legacy-win-07"}
    assert sorted(listing["rp_web"]["hosts"]) == ["web-lin-02", "web-win-01"]
    assert sorted(listing["rp_db"]["hosts"]) == ["db-lin-04", "db-win-03"]
    assert sorted(listing["asr_stage_failback_ready"]["hosts"]) == sorted(READY_VMS)


def _run(private_data_dir: Path, ident: str):
    return ansible_runner.run(
        private_data_dir=str(private_data_dir), playbook="playbooks/failback.yml", ident=ident, quiet=True
    )


def _stats_event(private_data_dir: Path, ident: str) -> dict:
    events = sorted((private_data_dir / "artifacts" / ident / "job_events").glob("*.json"))
    stats = [json.loads(path.read_text()) for path in events]
    stats = [event for event in stats if event.get("event") == "playbook_on_stats"]
    assert len(stats) == 1, "one playbook_on_stats event per job"
    return stats[0]["event_data"]


def test_check_job_needs_no_process_server_and_submits_nothing(check_job_data_dir):
    # Runs first, on the emulators as the scenario laid them out.
    runner = _run(check_job_data_dir, "4241")
    artifacts = check_job_data_dir / "artifacts" / "4241"
    assert runner.status == "successful", (artifacts / "stdout").read_text()[-4000:]
    summary = _stats_event(check_job_data_dir, "4241")["artifact_data"]["failback_summary"]
    assert summary["check_mode"] is True
    assert summary["counts"] == {"check_mode": 5, "not_ready": 2}
    assert all(not any(vm["jobs"].values()) for vm in summary["vms"]), "a Check job submitted an ASR job"


def test_scheduled_job_fails_back_the_ready_vms_and_publishes_the_summary(private_data_dir, emulator_env):
    runner = _run(private_data_dir, "4242")
    artifacts = private_data_dir / "artifacts" / "4242"
    assert runner.status == "successful", (artifacts / "stdout").read_text()[-4000:]
    assert (artifacts / "status").read_text().strip() == "successful"
    assert (artifacts / "rc").read_text().strip() == "0"

    summary = _stats_event(private_data_dir, "4242")["artifact_data"]["failback_summary"]
    assert summary["awx_job_id"] == 4242
    assert summary["check_mode"] is False
    by_vm = {vm["vm"]: vm for vm in summary["vms"]}
    assert set(by_vm) == READY_VMS | {"new-win-06", "legacy-win-07"}
    for name in READY_VMS:
        vm = by_vm[name]
        assert vm["outcome"] == "completed", vm
        assert vm["result"] == "failed back, committed, reprotected", vm
        assert all(vm["jobs"][phase] for phase in ("failover", "commit", "reprotect")), vm
        assert vm["recovery_point"] and vm["data_loss_seconds"] is not None, vm
        assert all(vm["duration_seconds"][phase] is not None for phase in ("preflight", "failback", "reprotect")), vm
    # One plan, one failover and one commit: both members of rp-web report the same plan jobs.
    assert by_vm["web-win-01"]["jobs"]["failover"] == by_vm["web-lin-02"]["jobs"]["failover"]
    assert by_vm["web-win-01"]["jobs"]["commit"] == by_vm["web-lin-02"]["jobs"]["commit"]
    assert by_vm["new-win-06"]["outcome"] == "not_ready"
    assert "no recovery point" in by_vm["new-win-06"]["message"]
    assert by_vm["legacy-win-07"]["outcome"] == "not_ready"
    assert "reprotect to AVS first" in by_vm["legacy-win-07"]["message"]
    assert summary["counts"] == {"completed": 5, "not_ready": 2}

    # Secrets (issue 12): nothing the -vvv run wrote (stdout, every job event, every other artifact, the summary
    # file) holds the client secret or the vCenter password. env/ is AWX's input, where the credentials are by design.
    secrets = {"AZURE_SECRET": emulator_env["AZURE_SECRET"], "VMWARE_PASSWORD": emulator_env["VMWARE_PASSWORD"]}
    assert all(len(secret) >= 8 for secret in secrets.values()), "secrets too short to grep for meaningfully"
    summary_file = private_data_dir / "summary.json"
    written = [path for path in sorted(artifacts.rglob("*")) if path.is_file()] + [summary_file]
    assert summary_file.is_file() and (artifacts / "stdout").is_file() and len(written) > 10
    assert (
        "<127.0.0.1>" in (artifacts / "stdout").read_text() or "ESTABLISH LOCAL" in (artifacts / "stdout").read_text()
    ), "the run was not verbose"
    for path in written:
        text = path.read_text(errors="replace")
        if path == artifacts / "command":
            # ansible-runner's record of how it started the job: its "env" is AWX's input (env/envvars), where the
            # credentials are by design; anything else in it must not hold them.
            text = json.dumps({key: value for key, value in json.loads(text).items() if key != "env"})
        leaked = [name for name, secret in secrets.items() if secret in text]
        assert not leaked, f"{', '.join(leaked)} leaked into {path.relative_to(private_data_dir)}"
