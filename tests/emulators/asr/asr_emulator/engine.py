"""The dynamic estate: protected items and their stages, recovery points, jobs, Azure VMs, persistence.

All methods run on the server's event loop (one thread), so the state needs no lock. Every change ends with
`save()`, which writes state.json atomically.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

from .clock import Clock
from .coupling import Coupling
from .errors import AGENT_NOT_REGISTERED_CODE, ArmError, job_error, not_found, refused
from .topology import Topology, stable_uuid

STATE_VERSION = 1
HOUR, DAY = 3600.0, 86400.0
IDLE_SCENARIO_START = "1753-01-01T01:01:01Z"

# Stable stages: (provider leg, activeLocation, protectionState, description, allowed operations)
STAGES: dict[str, tuple[str, str, str, str, tuple[str, ...]]] = {
    "A": ("reverse", "Recovery", "Protected", "Protected", ("{failback_op}", "DisableProtection")),
    "C": (
        "reverse",
        "Primary",
        "{failback_op}CommitPendingStatesBegin",
        "Failover completed",
        ("Commit", "ChangePit", "DisableProtection", "{cancel}"),
    ),
    "D": (
        "reverse",
        "Primary",
        "UnprotectedStatesBegin",
        "Failover committed",
        ("ReverseReplicate", "DisableProtection"),
    ),
    "F": ("forward", "Primary", "Protected", "Protected", ("UnplannedFailover", "TestFailover", "DisableProtection")),
    "azure_commit_pending": (
        "forward",
        "Recovery",
        "UnplannedFailoverCommitPendingStatesBegin",
        "Failover completed",
        ("Commit", "ChangePit", "DisableProtection"),
    ),
    "azure_committed": (
        "forward",
        "Recovery",
        "UnprotectedStatesBegin",
        "Failover committed",
        ("ReverseReplicate", "DisableProtection"),
    ),
}
# While a job runs: protectionState by job scenario.
RUNNING_STATES = {
    "UnplannedFailover": ("UnplannedFailoverInitiated", "Unplanned failover initiated"),
    "PlannedFailover": ("PlannedFailoverInitiated", "Planned failover initiated"),
    "Commit": ("CommitFailoverStatesBegin", "Committing failover"),
    "CancelFailover": ("CancelFailoverStatesBegin", "Cancelling failover"),
    "Reprotect": ("ReprotectStatesBegin", "Reprotect in progress"),
    "ApplyRecoveryPoint": ("ChangeRecoveryPointStatesBegin", "Changing the recovery point"),
}
# Job scenario -> (friendly name, [(task name, share of the job's duration)], timing key)
JOB_PLANS: dict[str, tuple[str, list[tuple[str, float]], str]] = {
    "UnplannedFailover": (
        "Unplanned failover",
        [
            ("Prerequisites check for unplanned failover", 0.1),
            ("Shut down the virtual machine", 0.2),
            ("Synchronize the latest data", 0.3),
            ("Start the replica virtual machine", 0.4),
        ],
        "failover_minutes",
    ),
    "PlannedFailover": (
        "Planned failover",
        [
            ("Prerequisites check for planned failover", 0.1),
            ("Shut down the virtual machine", 0.2),
            ("Synchronize the latest data", 0.3),
            ("Start the replica virtual machine", 0.4),
        ],
        "failover_minutes",
    ),
    "Commit": ("Commit", [("Prerequisites check for commit", 0.3), ("Commit the failover", 0.7)], "commit_minutes"),
    "CancelFailover": (
        "Cancel failover",
        [("Prerequisites check", 0.3), ("Cancel the failover", 0.7)],
        "cancel_minutes",
    ),
    "ApplyRecoveryPoint": (
        "Change recovery point",
        [("Prerequisites check", 0.3), ("Apply the recovery point", 0.7)],
        "commit_minutes",
    ),
    "Reprotect": (
        "Reprotect",
        [
            ("Prerequisites check", 0.1),
            ("Prepare the target for protection", 0.3),
            ("Enable replication", 0.4),
            ("Finalize protection", 0.2),
        ],
        "reprotect_minutes",
    ),
}
TERMINAL = ("Succeeded", "Failed", "Cancelled")
FAILOVER_KINDS = ("UnplannedFailover", "PlannedFailover")


class Engine:
    def __init__(self, topology: Topology, clock: Clock, state_dir: Path, coupling: Coupling):
        self.topology = topology
        self.clock = clock
        self.state_dir = state_dir
        self.coupling = coupling
        self.state_path = state_dir / "state.json"
        self.state: dict[str, Any] = {}
        self.item_by_lower: dict[str, str] = {}
        self.vm_to_item: dict[str, str] = {}

    # ---- life cycle ----------------------------------------------------------------------------------------------
    def load_or_build(self, time_scale: float | None) -> bool:
        """Resume from state.json when it belongs to this scenario; return True when resumed."""
        if self.state_path.exists():
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
            if data.get("version") == STATE_VERSION and data.get("scenario") == self.topology.scenario["name"]:
                self.state = data
                self.clock = Clock.from_dict(data["clock"])
                if time_scale is not None and time_scale != self.clock.time_scale:
                    self.clock.set_scale(time_scale)
                self._index()
                self.save()
                return True
        if time_scale is not None:
            self.clock.set_scale(time_scale)
        self.reset()
        return False

    def reset(self) -> None:
        """Back to the scenario as written (faults cleared, clock scale kept)."""
        top = self.topology
        now = self.clock.now()
        self.state = {
            "version": STATE_VERSION,
            "scenario": top.scenario["name"],
            "clock": self.clock.to_dict(),
            "built_at": now,
            "items": {},
            "jobs": {},
            "active_jobs": [],
            "operations": {},
            "azure_vms": {},
            "plans": {name: {"last_job": None, "last_unplanned": None, "last_planned": None} for name in top.plans},
            "faults": [],
            "tokens_not_before": 0.0,
            "operation_counts": {},
        }
        self._index_names()
        for vm in top.scenario["vms"]:
            self._build_item(vm, now)
        self._index()
        self.save()

    def _build_item(self, vm: dict[str, Any], now: float) -> None:
        top = self.topology
        stage = vm["stage"]
        stable = {"B": "A", "E": "D"}.get(stage, stage)
        item = {
            "name": top.item_name(vm["name"]),
            "vm": vm["name"],
            "os": vm["os"],
            "stage": stable,
            "job": None,
            "plans": list(vm["recovery_plans"]),
            "group": vm["replication_group"],
            "rp_since": now - 2 * DAY if vm["recovery_points"] else None,
            "rp_until": None,
            "last_failover": None,
            "failover_rp": None,
            "booted": {"azure": None, "avs": now - 30 * DAY},
            "reverse": self._default_reverse(),
            "forward": self._default_forward(),
            "vm_id": stable_uuid("vm", vm["name"]),
        }
        if stable in ("A", "azure_commit_pending", "azure_committed", "C"):
            item["last_failover"] = now - 7 * DAY
            item["booted"]["azure"] = now - 7 * DAY
            self._create_azure_vm(item, now - 7 * DAY)
        if stable in ("C", "azure_commit_pending"):
            item["last_failover"] = now - 600
            item["rp_until"] = now - 600
        if stable == "C":
            item["booted"]["avs"] = now - 600
            self.state["azure_vms"][vm["name"]]["power"] = "deallocated"
        if stable in ("D", "azure_committed"):
            item["rp_since"] = None
        if stable == "azure_commit_pending":
            item["booted"]["azure"] = now - 600
        self.state["items"][item["name"]] = item
        self.item_by_lower[item["name"].lower()] = item["name"]
        if stage == "B":
            kind = self.topology.providers["failback_op"]
            point = self.latest_point(item, now)
            self._start_job(kind, [item], None, {item["name"]: {"rp": point}}, "item")
        elif stage == "E":
            self._start_job("Reprotect", [item], None, {item["name"]: {}}, "item")

    def _default_reverse(self) -> dict[str, Any]:
        top = self.topology
        azure_ps = top.default_ps("azure") or (top.process_servers[0] if top.process_servers else None)
        mt = top.master_targets[0] if top.master_targets else None
        agent = top.reprotect_agents[0] if top.reprotect_agents else None
        return {
            "ps": azure_ps.id if azure_ps else None,
            "mt": mt.id if mt else None,
            "retention": mt.retention_volumes[0] if mt and mt.retention_volumes else None,
            "datastore": (mt.datastores[0] if mt and mt.datastores else None)
            or (agent.datastores[0] if agent and agent.datastores else None),
            "agent": agent.id if agent else None,
            "policy": top.failback_policy,
        }

    def _default_forward(self) -> dict[str, Any]:
        top = self.topology
        onprem_ps = top.default_ps("avs") or (top.process_servers[0] if top.process_servers else None)
        return {"ps": onprem_ps.id if onprem_ps else None, "policy": top.forward_policy}

    def _index_names(self) -> None:
        self.item_by_lower = {}
        self.vm_to_item = {vm.lower(): self.topology.item_name(vm) for vm in self.topology.vm_names}

    def _index(self) -> None:
        self._index_names()
        self.item_by_lower = {name.lower(): name for name in self.state["items"]}

    def save(self) -> None:
        self.state["clock"] = self.clock.to_dict()
        tmp = self.state_path.with_name(f".state.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.state, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, self.state_path)

    # ---- lookups -------------------------------------------------------------------------------------------------
    def item(self, name: str) -> dict[str, Any]:
        real = self.item_by_lower.get(name.lower())
        if real is None:
            raise not_found("replication protected item", name)
        return self.state["items"][real]

    def item_for_vm(self, vm_name: str) -> dict[str, Any] | None:
        name = self.vm_to_item.get(vm_name.lower())
        return self.state["items"].get(name) if name else None

    def plan_name(self, name: str) -> str:
        for plan in self.topology.plans:
            if plan.lower() == name.lower():
                return plan
        raise not_found("recovery plan", name)

    def plan_items(self, plan: str) -> list[dict[str, Any]]:
        return [self.item_for_vm(vm) for vm in self.topology.plans[plan]]

    def job(self, name: str) -> dict[str, Any]:
        for job_name, job in self.state["jobs"].items():
            if job_name.lower() == name.lower():
                return job
        raise not_found("job", name)

    # ---- stages --------------------------------------------------------------------------------------------------
    def stage_view(self, item: dict[str, Any]) -> dict[str, Any]:
        providers = self.topology.providers
        stage = item["stage"]
        leg, active, state, description, allowed = STAGES[stage]
        cancel = "CancelFailover" if self.topology.architecture == "modernized" else ""
        view = {
            "instanceType": providers[leg],
            "leg": leg,
            "activeLocation": active,
            "protectionState": state.format(failback_op=providers["failback_op"]),
            "protectionStateDescription": description,
            "allowedOperations": [
                op.format(failback_op=providers["failback_op"], cancel=cancel)
                for op in allowed
                if op.format(cancel=cancel, failback_op="x")
            ],
            "job": None,
        }
        if item["job"]:
            job = self.state["jobs"][item["job"]]
            view["protectionState"], view["protectionStateDescription"] = RUNNING_STATES[job["kind"]]
            view["allowedOperations"] = []
            view["job"] = job
        return view

    def replicating(self, item: dict[str, Any]) -> bool:
        return item["stage"] in ("A", "F") and item["rp_since"] is not None

    # ---- recovery points -----------------------------------------------------------------------------------------
    def points(self, item: dict[str, Any], now: float | None = None) -> list[tuple[float, str]]:
        """(time, CrashConsistent|ApplicationConsistent), newest first, inside the retention window."""
        if item["rp_since"] is None:
            return []
        timing = self.topology.timing
        now = self.clock.now() if now is None else now
        end = min(now, item["rp_until"]) if item["rp_until"] is not None else now
        running = self.state["jobs"].get(item["job"]) if item["job"] else None
        if running and running["kind"] in FAILOVER_KINDS:
            end = min(end, running["start"])  # replication stops when the failover starts
        start = max(item["rp_since"], end - timing["retention_hours"] * HOUR)
        step = timing["crash_consistent_minutes"] * 60
        app_step = timing["app_consistent_minutes"] * 60
        moment = (end // step) * step
        result = []
        while moment > start:
            kind = "ApplicationConsistent" if moment % app_step == 0 else "CrashConsistent"
            result.append((moment, kind))
            moment -= step
        return result

    def point_name(self, item: dict[str, Any], moment: float) -> str:
        return stable_uuid(item["name"], "rp", str(int(moment)))

    def point_id(self, item: dict[str, Any], moment: float) -> str:
        return f"{self.topology.item_id(item['name'])}/recoveryPoints/{self.point_name(item, moment)}"

    def find_point(self, item: dict[str, Any], name_or_id: str) -> tuple[float, str] | None:
        name = name_or_id.rstrip("/").rsplit("/", 1)[-1].lower()
        if "/" in name_or_id and self.topology.item_id(item["name"]).lower() not in name_or_id.lower():
            return None
        return next((p for p in self.points(item) if self.point_name(item, p[0]).lower() == name), None)

    def latest_point(self, item: dict[str, Any], now: float, app_consistent: bool = False) -> dict | None:
        for moment, kind in self.points(item, now):
            if not app_consistent or kind == "ApplicationConsistent":
                return {"id": self.point_id(item, moment), "time": moment}
        return None

    # ---- Azure VMs -----------------------------------------------------------------------------------------------
    def _create_azure_vm(self, item: dict[str, Any], when: float) -> None:
        self.state["azure_vms"][item["vm"]] = {
            "power": "running",
            "created": when,
            "booted": when,
            "vm_id": stable_uuid("azure-vm", item["vm"], str(int(when))),
            "os": item["os"],
        }

    def set_azure_power(self, vm_name: str, power: str) -> None:
        """Someone started, stopped or deallocated a failed-over VM in Azure (POST .../start, /powerOff, ...)."""
        vm = self.state["azure_vms"][vm_name]
        if power == "running":
            booted = self.clock.now() + self._boot_seconds()
            vm["booted"] = booted
            item = self.item_for_vm(vm_name)
            if item is not None:
                item["booted"]["azure"] = booted
        vm["power"] = power
        self.save()

    def azure_vm(self, name: str) -> dict[str, Any] | None:
        for vm_name, vm in self.state["azure_vms"].items():
            if vm_name.lower() == name.lower():
                return {"name": vm_name, **vm}
        return None

    # ---- faults consumed by jobs ---------------------------------------------------------------------------------
    def _take_fault(self, kind: str, scenario: str, vm_names: list[str]) -> dict[str, Any] | None:
        for fault in self.state["faults"]:
            if fault["kind"] != kind or fault.get("remaining", 1) <= 0:
                continue
            wanted = fault.get("scenario")
            if wanted and wanted.lower() != scenario.lower():
                continue
            if fault.get("vm") and fault["vm"].lower() not in [v.lower() for v in vm_names]:
                continue
            fault["remaining"] = fault.get("remaining", 1) - 1
            return fault
        return None

    def tools_stay_disabled(self, vm_name: str) -> bool:
        return any(
            f["kind"] == "tools_stay_disabled" and f.get("vm", "").lower() in ("", vm_name.lower())
            for f in self.state["faults"]
        )

    # ---- jobs ----------------------------------------------------------------------------------------------------
    def _start_job(
        self,
        kind: str,
        items: list[dict[str, Any]],
        plan: str | None,
        details: dict[str, dict[str, Any]],
        result: str,
    ) -> dict[str, Any]:
        now = self.clock.now()
        friendly, tasks, timing_key = JOB_PLANS[kind]
        total = self.topology.timing[timing_key] * 60
        name = str(uuid.uuid4())
        job = {
            "name": name,
            "kind": kind,
            "friendly": friendly,
            "items": [item["name"] for item in items],
            "plan": plan,
            "result": result,
            "tasks": [{"name": task, "id": str(uuid.uuid4()), "duration": share * total} for task, share in tasks],
            "details": details,
            "from": {item["name"]: item["stage"] for item in items},
            "activity": f"{uuid.uuid4()} ActivityId: {uuid.uuid4()}",
            "final": None,
            "end": None,
            "errors": [],
        }
        self._plan_outcome(job, items, now)
        self.state["jobs"][name] = job
        self.state["active_jobs"].append(name)
        for item in items:
            item["job"] = name
            counts = self.state["operation_counts"].setdefault(item["vm"], {})
            counts[kind] = counts.get(kind, 0) + 1
        if plan:
            self.state["plans"][plan]["last_job"] = name
        return job

    def _plan_outcome(self, job: dict[str, Any], items: list[dict[str, Any]], now: float) -> None:
        """Decide now whether the job will fail, and where: agent window, injected errors, stalls."""
        job.update({"start": now, "fail_at": None, "failure": None, "stall_at": None, "suspend": False})
        vm_names = [item["vm"] for item in items]
        window = self.topology.timing["agent_registration_minutes"]
        if job["kind"] == "Reprotect":
            for item in items:
                side = "avs" if item["stage"] == "D" else "azure"
                booted = item["booted"].get(side)
                azure_vm = self.state["azure_vms"].get(item["vm"])
                if side == "azure" and (azure_vm is None or azure_vm["power"] != "running"):
                    job["fail_at"] = 0
                    job["failure"] = job_error("78093", item["vm"], window)
                    break
                if booted is not None and now < booted + window * 60:
                    job["fail_at"] = 0
                    job["failure"] = job_error(AGENT_NOT_REGISTERED_CODE, item["vm"], window)
                    break
        injected = self._take_fault("job_error", job["kind"], vm_names)
        if injected and job["fail_at"] is None:
            job["fail_at"] = min(1, len(job["tasks"]) - 1)
            job["failure"] = job_error(str(injected.get("code", "95226")), vm_names[0], window, injected.get("message"))
        stall = self._take_fault("stall_job", job["kind"], vm_names)
        if stall:
            job["stall_at"] = min(int(stall.get("task", 1)), len(job["tasks"]) - 1)
            job["suspend"] = bool(stall.get("suspend", False))

    def _offset(self, job: dict[str, Any], task_index: int) -> float:
        return sum(task["duration"] for task in job["tasks"][:task_index])

    def job_progress(self, job: dict[str, Any], now: float | None = None) -> tuple[str, float | None]:
        """(state, end time) of a job at `now` (NotStarted is never used: jobs start when accepted)."""
        if job["final"]:
            return job["final"], job["end"]
        now = self.clock.now() if now is None else now
        elapsed = now - job["start"]
        if job["fail_at"] is not None:
            fail_end = self._offset(job, job["fail_at"] + 1)
            if (job["stall_at"] is None or job["stall_at"] > job["fail_at"]) and elapsed >= fail_end:
                return "Failed", job["start"] + fail_end
        if job["stall_at"] is not None and elapsed >= self._offset(job, job["stall_at"]):
            return ("Suspended" if job["suspend"] else "InProgress"), None
        total = self._offset(job, len(job["tasks"]))
        if elapsed >= total:
            return "Succeeded", job["start"] + total
        return "InProgress", None

    def task_states(self, job: dict[str, Any]) -> list[tuple[str, float | None, float | None]]:
        """(state, start, end) per task."""
        state, end = self.job_progress(job)
        if end is not None:
            elapsed = end - job["start"]
        else:
            elapsed = self.clock.now() - job["start"]
            if job["stall_at"] is not None:
                elapsed = min(elapsed, self._offset(job, job["stall_at"]))
        result: list[tuple[str, float | None, float | None]] = []
        for index, task in enumerate(job["tasks"]):
            begin = self._offset(job, index)
            finish = begin + task["duration"]
            task_start = job["start"] + begin
            if state == "Failed" and index == job["fail_at"]:
                result.append(("Failed", task_start, end))
            elif state == "Cancelled" and begin <= elapsed < finish:
                result.append(("Cancelled", task_start, end))
            elif finish <= elapsed and not (state == "Failed" and index > job["fail_at"]):
                result.append(("Succeeded", task_start, job["start"] + finish))
            elif begin <= elapsed and state in ("InProgress", "Suspended"):
                result.append((state if index == job["stall_at"] else "InProgress", task_start, None))
            else:
                result.append(("NotStarted", None, None))
        return result

    def advance(self) -> bool:
        """Finish the jobs whose time has come, oldest end first; return True when something changed."""
        if not self.state["active_jobs"]:
            return False
        now = self.clock.now()
        finished = []
        for name in self.state["active_jobs"]:
            job = self.state["jobs"][name]
            state, end = self.job_progress(job, now)
            if state in TERMINAL:
                finished.append((end, name, state))
        for end, name, state in sorted(finished):
            self._finish(self.state["jobs"][name], state, end)
        if finished:
            self.save()
        return bool(finished)

    def _finish(self, job: dict[str, Any], state: str, end: float) -> None:
        job["final"], job["end"] = state, end
        self.state["active_jobs"].remove(job["name"])
        items = [self.state["items"][name] for name in job["items"]]
        for item in items:
            if item["job"] == job["name"]:
                item["job"] = None
        if state == "Failed":
            failure = job["failure"]
            job["errors"] = [
                {
                    "serviceErrorDetails": {
                        "code": failure["code"],
                        "message": failure["message"],
                        "possibleCauses": failure["possibleCauses"],
                        "recommendedAction": failure["recommendedAction"],
                        "activityId": job["activity"].split(" ", 1)[0],
                    },
                    "providerErrorDetails": {
                        "errorCode": failure["providerErrorCode"],
                        "errorMessage": failure["message"],
                        "errorId": failure["code"],
                        "possibleCauses": failure["possibleCauses"],
                        "recommendedAction": failure["recommendedAction"],
                    },
                    "errorLevel": "Error",
                    "creationTime": end,
                    "taskId": job["tasks"][job["fail_at"]]["id"],
                }
            ]
            return
        if state != "Succeeded":
            return
        for item in items:
            self._apply(job, item, end)
        if job["plan"]:
            record = self.state["plans"][job["plan"]]
            if job["kind"] == "UnplannedFailover":
                record["last_unplanned"] = end
            elif job["kind"] == "PlannedFailover":
                record["last_planned"] = end

    def _apply(self, job: dict[str, Any], item: dict[str, Any], end: float) -> None:
        """The stage transition and side effects of a successful job on one item."""
        kind, origin = job["kind"], job["from"][item["name"]]
        details = job["details"].get(item["name"], {})
        azure_vm = self.state["azure_vms"].get(item["vm"])
        if kind in FAILOVER_KINDS and origin == "A":
            item["stage"] = "C"
            item["last_failover"], item["rp_until"] = end, job["start"]
            item["failover_rp"] = (details.get("rp") or {}).get("id")
            item["booted"]["avs"] = end + self._boot_seconds()
            if azure_vm:
                azure_vm["power"] = "deallocated"
            self.coupling.vm_failed_back(item["vm"], item["os"], self.tools_stay_disabled(item["vm"]))
        elif kind in FAILOVER_KINDS and origin == "F":
            item["stage"] = "azure_commit_pending"
            item["last_failover"], item["rp_until"] = end, job["start"]
            item["failover_rp"] = (details.get("rp") or {}).get("id")
            item["booted"]["azure"] = end + self._boot_seconds()
            self._create_azure_vm(item, end)
            self.coupling.vm_failed_over_to_azure(item["vm"], item["os"], bool(details.get("source_shutdown")))
        elif kind == "Commit" and origin == "C":
            item["stage"] = "D"
            item["rp_since"] = item["rp_until"] = None
            self.state["azure_vms"].pop(item["vm"], None)
        elif kind == "Commit" and origin == "azure_commit_pending":
            item["stage"] = "azure_committed"
            item["rp_since"] = item["rp_until"] = None
        elif kind == "CancelFailover" and origin == "C":
            item["stage"] = "A"
            item["rp_until"] = None
            item["booted"]["azure"] = end + self._boot_seconds()
            if azure_vm:
                azure_vm["power"] = "running"
        elif kind == "CancelFailover" and origin == "azure_commit_pending":
            item["stage"] = "F"
            item["rp_until"] = None
            self.state["azure_vms"].pop(item["vm"], None)
        elif kind == "ApplyRecoveryPoint":
            item["failover_rp"] = details["rp"]["id"]
        elif kind == "Reprotect":
            item["stage"] = "F" if origin == "D" else "A"
            leg = "forward" if origin == "D" else "reverse"
            item[leg].update({k: v for k, v in details.items() if v is not None})
            item["rp_since"] = end + self.topology.timing["initial_replication_minutes"] * 60
            item["rp_until"] = None

    def _boot_seconds(self) -> float:
        """A VM counts as booted (and its agent starts re-registering) this long after the job powers it on."""
        return self.topology.timing["boot_minutes"] * 60

    def cancel_job(self, job: dict[str, Any]) -> None:
        state, _ = self.job_progress(job)
        if state in TERMINAL:
            raise refused(
                "JobNotCancellable", f"The job '{job['name']}' is already {state.lower()} and cannot be cancelled.", 409
            )
        self._finish(job, "Cancelled", self.clock.now())
        self.save()

    def restart_job(self, job: dict[str, Any]) -> None:
        state, _ = self.job_progress(job)
        if state not in ("Failed", "Cancelled"):
            raise refused("JobNotRestartable", f"The job '{job['name']}' is {state} and cannot be restarted.", 409)
        items = [self.state["items"][name] for name in job["items"]]
        for item in items:
            if item["job"] or item["stage"] != job["from"][item["name"]]:
                raise refused(
                    "JobNotRestartable",
                    f"The job '{job['name']}' cannot be restarted: the item '{item['vm']}' has changed since.",
                    409,
                )
        job.update({"final": None, "end": None, "errors": []})
        self._plan_outcome(job, items, self.clock.now())
        self.state["active_jobs"].append(job["name"])
        for item in items:
            item["job"] = job["name"]
        self.save()

    def resume_job(self, job: dict[str, Any]) -> None:
        state, _ = self.job_progress(job)
        if state != "Suspended":
            raise refused("JobNotResumable", f"The job '{job['name']}' is {state}, not Suspended.", 409)
        job["start"] = self.clock.now() - self._offset(job, job["stall_at"])
        job["stall_at"], job["suspend"] = None, False
        self.save()

    def new_operation(self, job: dict[str, Any], kind: str) -> str:
        op_id = str(uuid.uuid4())
        self.state["operations"][op_id] = {"job": job["name"], "kind": kind, "start": self.clock.now()}
        return op_id

    def operation(self, op_id: str) -> dict[str, Any]:
        for key, op in self.state["operations"].items():
            if key.lower() == op_id.lower():
                return {"id": key, **op}
        raise ArmError(404, "NotFound", f"The operation '{op_id}' was not found.")

    # ---- the control API's view ----------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        items = {}
        for item in self.state["items"].values():
            view = self.stage_view(item)
            items[item["vm"]] = {
                "item_name": item["name"],
                "stage": item["stage"],
                "instance_type": view["instanceType"],
                "active_location": view["activeLocation"],
                "protection_state": view["protectionState"],
                "allowed_operations": view["allowedOperations"],
                "job": item["job"],
                "recovery_points": len(self.points(item)),
                "booted": item["booted"],
            }
        return {
            "scenario": self.state["scenario"],
            "now": self.clock.now(),
            "time_scale": self.clock.time_scale,
            "items": items,
            "jobs": {
                name: {
                    "kind": job["kind"],
                    "state": self.job_progress(job)[0],
                    "items": job["items"],
                    "plan": job["plan"],
                }
                for name, job in self.state["jobs"].items()
            },
            "azure_vms": self.state["azure_vms"],
            "faults": self.state["faults"],
        }
