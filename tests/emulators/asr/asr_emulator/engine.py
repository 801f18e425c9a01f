"""The dynamic estate: protected items, their pair and phase, recovery points, jobs, Azure VMs, persistence.

The life cycle itself (stages, states per architecture, job and task names) is in states.py. All methods run on
the server's event loop (one thread), so the state needs no lock. Every change ends with `save()`, which writes
state.json atomically.
"""

from __future__ import annotations

import json
import math
import os
import uuid
from pathlib import Path
from typing import Any

from . import states
from .clock import Clock
from .coupling import Coupling
from .errors import AGENT_NOT_REGISTERED_CODE, ArmError, job_error, not_found, refused
from .topology import Topology, stable_uuid

STATE_VERSION = 2
HOUR, DAY = 3600.0, 86400.0
IDLE_SCENARIO_START = "1753-01-01T01:01:01Z"
TERMINAL = ("Succeeded", "Failed", "Cancelled")
FAILOVER_KINDS = ("UnplannedFailover", "PlannedFailover")
QUEUED_SECONDS = 300  # modernized initial replication shows its disks Queued for the first 5 minutes (recorded)


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
        stage = states.canonical_stage(vm["stage"])
        start_job = None
        if stage in states.SCENARIO_RUNNING_STAGES:
            stage, start_job = states.SCENARIO_RUNNING_STAGES[stage]
        leg, phase, status = states.STABLE_STAGES[stage]
        points = bool(vm["recovery_points"]) and status != "waiting"
        item: dict[str, Any] = {
            "name": self.topology.item_name(vm["name"]),
            "vm": vm["name"],
            "os": vm["os"],
            "leg": leg,
            "phase": phase,
            "job": None,
            "plans": list(vm["recovery_plans"]),
            "group": vm["replication_group"],
            "ir_start": None,
            "ir_until": None,
            "rp_since": now - 2 * DAY if points else None,
            "rp_until": None,
            "last_failover": None,
            "failover_rp": None,
            "planned": None,
            "booted": {"azure": None, "avs": now - 30 * DAY},
            "reverse": self._default_reverse(),
            "forward": self._default_forward(),
            "lag_minutes": vm["replication_lag_minutes"],
            "vm_id": stable_uuid("vm", vm["name"]),
            "reverse_vm_id": stable_uuid("vm-azure", vm["name"]),
        }
        if status == "ir":
            item["ir_start"], item["ir_until"] = now, now + self._ir_seconds()
            item["rp_since"] = item["ir_until"] if vm["recovery_points"] else None
        if phase == "commit_pending":
            item["last_failover"] = item["rp_until"] = now - 600
            if leg == "reverse" and self.topology.architecture == "modernized":
                item["planned"] = {"start": now - 600, "status": "Succeeded"}
        elif phase == "committed":
            item["last_failover"] = now - 7 * DAY
            item["rp_since"] = None
        if leg == "reverse" and phase == "replicating":
            item["booted"]["azure"] = now - 7 * DAY
            self._create_azure_vm(item, now - 7 * DAY)
        elif leg == "reverse" and phase == "commit_pending":
            self._create_azure_vm(item, now - 7 * DAY)
            self.state["azure_vms"][vm["name"]]["power"] = "deallocated"
            item["booted"]["avs"] = now - 600
        elif leg == "forward" and phase == "commit_pending":
            item["booted"]["azure"] = now - 600
            self._create_azure_vm(item, now - 600)
        elif leg == "forward" and phase == "committed":
            item["booted"]["azure"] = now - 7 * DAY
            self._create_azure_vm(item, now - 7 * DAY)
        self.state["items"][item["name"]] = item
        self.item_by_lower[item["name"].lower()] = item["name"]
        if phase == "commit_pending" and item["rp_since"] is not None:
            point = self.latest_point(item, now)
            item["failover_rp"] = point["id"] if point else None
            item["last_point"] = point["time"] if point else None
        elif phase == "committed":
            item["last_point"] = now - 7 * DAY - 300
        if start_job == "failover":
            kind = states.FAILOVER_OPERATION[(self.topology.architecture, leg)]
            details = {"rp": self.latest_point(item, now), "source_shutdown": leg == "forward"}
            self._start_job(kind, [item], None, {item["name"]: details}, "item")
        elif start_job == "reprotect":
            self._start_job(
                "SwitchReplicationGroupProtection", [item], None, {item["name"]: {"already_committed": True}}, "item"
            )

    def _ir_seconds(self) -> float:
        return self.topology.timing["initial_replication_minutes"] * 60

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
            "log_storage": top.log_storage_account_id(),
            "run_as": None,
            "policy": top.failback_policy,
        }

    def _default_forward(self) -> dict[str, Any]:
        top = self.topology
        onprem_ps = top.default_ps("avs") or (top.process_servers[0] if top.process_servers else None)
        return {
            "ps": onprem_ps.id if onprem_ps else None,
            "mt": onprem_ps.id if onprem_ps else None,
            "run_as": None,
            "log_storage": top.log_storage_account_id(),
            "policy": top.forward_policy,
        }

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
    def replication_status(self, item: dict[str, Any], now: float | None = None) -> str:
        """ir | waiting | protected while the pair replicates; else the phase (commit_pending, committed)."""
        if item["phase"] != "replicating":
            return item["phase"]
        now = self.clock.now() if now is None else now
        if item["ir_until"] is not None and now < item["ir_until"]:
            return "ir"
        return "protected" if self.has_point(item, now) else "waiting"

    def vm_id(self, item: dict[str, Any], leg: str | None = None) -> str:
        """The id the pair knows the VM by (vmId, internalIdentifier, job targetObjectId): one per direction."""
        return item["vm_id"] if (leg or item["leg"]) == "forward" else item["reverse_vm_id"]

    def stage_view(self, item: dict[str, Any]) -> dict[str, Any]:
        top = self.topology
        leg = item["leg"]
        status = self.replication_status(item)
        active, state, description, allowed = states.STATES[(top.architecture, leg, status)]
        view = {
            "instanceType": states.PROVIDERS[top.architecture][leg],
            "leg": leg,
            "status": status,
            "stage": self.stage_name(item, status),
            "activeLocation": active,
            "protectionState": state,
            "protectionStateDescription": description,
            "allowedOperations": list(allowed),
            "job": None,
        }
        if item["job"]:
            job = self.state["jobs"][item["job"]]
            view["protectionState"], view["protectionStateDescription"] = states.RUNNING_STATES[job["kind"]]
            view["allowedOperations"] = []
            view["job"] = job
        return view

    def stage_name(self, item: dict[str, Any], status: str | None = None) -> str:
        if item["job"]:
            return states.RUNNING_STAGES[(item["leg"], self.state["jobs"][item["job"]]["kind"])]
        status = status or self.replication_status(item)
        for name, (leg, phase, sub) in states.STABLE_STAGES.items():
            if leg == item["leg"] and phase == item["phase"] and (sub is None or sub == status):
                return name
        raise AssertionError(status)

    def replicating(self, item: dict[str, Any]) -> bool:
        return item["phase"] == "replicating" and item["rp_since"] is not None

    # ---- recovery points -----------------------------------------------------------------------------------------
    def points(self, item: dict[str, Any], now: float | None = None) -> list[tuple[float, str]]:
        """(time, CrashConsistent|ApplicationConsistent), newest first, inside the retention window."""
        window = self._point_window(item, now)
        if window is None:
            return []
        newest, start, step = window
        result = []
        app_step, stopped = self.topology.timing["app_consistent_minutes"] * 60, self.app_points_stopped_at(item)
        moment = newest
        while moment > start:
            result.append((moment, _point_kind(moment, app_step, stopped)))
            moment -= step
        return result

    def has_point(self, item: dict[str, Any], now: float | None = None) -> bool:
        """Whether points() lists any, without listing them (an item's every read asks)."""
        return self.point_bounds(item, now) is not None

    def point_bounds(self, item: dict[str, Any], now: float | None = None) -> tuple[float, float] | None:
        """(newest, oldest) of points()'s times, without listing them; None when it lists none."""
        window = self._point_window(item, now)
        if window is None or window[0] <= window[1]:
            return None
        newest, start, step = window
        return newest, newest - step * (math.ceil((newest - start) / step) - 1)

    def _point_window(self, item: dict[str, Any], now: float | None) -> tuple[float, float, float] | None:
        """(the newest point's time, the retention window's start, the step between points); None: no points."""
        if item["rp_since"] is None:
            return None
        timing = self.topology.timing
        now = self.clock.now() if now is None else now
        # a point is listed once the service processed it, and a VM whose replication lags sends its data late:
        # the newest point is never later than the service's now, and is a few minutes old at best
        visible = now - timing["point_processing_seconds"] - 60 * item.get("lag_minutes", 0)
        end = min(visible, item["rp_until"]) if item["rp_until"] is not None else visible
        running = self.state["jobs"].get(item["job"]) if item["job"] else None
        if running and running["kind"] in FAILOVER_KINDS:
            end = min(end, running["start"])  # replication stops when the failover starts
        start = max(item["rp_since"], end - timing["retention_hours"] * HOUR)
        step = timing["crash_consistent_minutes"] * 60
        return (end // step) * step, start, step

    def app_points_stopped_at(self, item: dict[str, Any]) -> float | None:
        """The `app_consistent_stops` fault: the moment from which the VM's points are crash-consistent only."""
        moments = [
            f["since"]
            for f in self.state["faults"]
            if f["kind"] == "app_consistent_stops" and f.get("vm", "").lower() in ("", item["vm"].lower())
        ]
        return min(moments) if moments else None

    def point_name(self, item: dict[str, Any], moment: float) -> str:
        return stable_uuid(item["name"], item["leg"], "rp", str(int(moment)))

    def point_id(self, item: dict[str, Any], moment: float) -> str:
        """Recorded form: the container segment is `cloud_<fabric internalIdentifier>`, whatever the item's
        container is called."""
        return f"{self.topology.point_container_id}/replicationProtectedItems/{item['name']}/recoveryPoints/" + (
            self.point_name(item, moment)
        )

    def find_point(self, item: dict[str, Any], name_or_id: str) -> tuple[float, str] | None:
        name = name_or_id.rstrip("/").rsplit("/", 1)[-1].lower()
        if "/" in name_or_id and f"/replicationprotecteditems/{item['name'].lower()}/" not in name_or_id.lower():
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
            if wanted and states.job_kind(wanted).lower() != scenario.lower():
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

    def broken_at_point(self, item: dict[str, Any], details: dict[str, Any]) -> bool:
        """The `crash_point_broken` fault: the VM failed back at a crash-consistent point does not come up right
        (its VMware Tools stay off, so the runbook's verification fails); at an application-consistent point it does.
        A failover that asked for the latest point of a kind is judged by the kind it asked for, so that a test does
        not depend on whether the newest point happens to fall on an application-consistent one; a point named by
        its id, by its own kind."""
        point = details.get("rp")
        if point is None or not any(
            f["kind"] == "crash_point_broken" and f.get("vm", "").lower() == item["vm"].lower()
            for f in self.state["faults"]
        ):
            return False
        if details.get("app_consistent") is not None:
            return not details["app_consistent"]
        return self.point_kind(item, point["time"]) != "ApplicationConsistent"

    def point_kind(self, item: dict[str, Any], moment: float) -> str:
        app_step = self.topology.timing["app_consistent_minutes"] * 60
        return _point_kind(moment, app_step, self.app_points_stopped_at(item))

    # ---- jobs ----------------------------------------------------------------------------------------------------
    def _start_job(
        self,
        kind: str,
        items: list[dict[str, Any]],
        plan: str | None,
        details: dict[str, dict[str, Any]],
        result: str,
    ) -> dict[str, Any]:
        top = self.topology
        total = top.timing[states.TIMING_KEYS[kind]] * 60
        context = details.get(items[0]["name"], {})
        tasks = []
        for task in states.job_tasks(kind, top.architecture, items[0]["leg"], context):
            skipped = bool(task.get("skipped"))
            tasks.append(
                {
                    "id": task["task_id"] or str(uuid.uuid4()),
                    "name": task["name"],
                    "friendly": task["friendly"],
                    "duration": 0.0 if skipped else task["share"] * total,
                    "skipped": skipped,
                    "group": task.get("group"),
                    "group_when_started": bool(task.get("group_when_started")),
                    "child_job": str(uuid.uuid4()),
                }
            )
        job = {
            "name": str(uuid.uuid4()),
            "kind": kind,
            "friendly": states.JOB_FRIENDLY[kind],
            "items": [item["name"] for item in items],
            "plan": plan,
            "result": result,
            "tasks": tasks,
            "details": details,
            "from": {item["name"]: [item["leg"], item["phase"]] for item in items},
            "targets": {item["name"]: self.vm_id(item) for item in items},
            "activity": f"{uuid.uuid4()} ActivityId: {uuid.uuid4()}",
            "final": None,
            "end": None,
            "errors": [],
        }
        self._plan_outcome(job, items, self.clock.now())
        self.state["jobs"][job["name"]] = job
        self.state["active_jobs"].append(job["name"])
        for item in items:
            item["job"] = job["name"]
            counts = self.state["operation_counts"].setdefault(item["vm"], {})
            counts[kind] = counts.get(kind, 0) + 1
        if plan:
            self.state["plans"][plan]["last_job"] = job["name"]
        return job

    def _next_running_task(self, job: dict[str, Any], index: int) -> int:
        """The first task at or after `index` that is not skipped (the last task when all are)."""
        for position in range(max(0, index), len(job["tasks"])):
            if not job["tasks"][position]["skipped"]:
                return position
        return len(job["tasks"]) - 1

    def _plan_outcome(self, job: dict[str, Any], items: list[dict[str, Any]], now: float) -> None:
        """Decide now whether the job will fail, and where: agent window, injected errors, stalls."""
        job.update({"start": now, "fail_at": None, "failure": None, "stall_at": None, "suspend": False})
        vm_names = [item["vm"] for item in items]
        window = self.topology.timing["agent_registration_minutes"]
        if job["kind"] == "SwitchReplicationGroupProtection":
            for item in items:
                side = "avs" if item["leg"] == "reverse" else "azure"
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
            job["fail_at"] = self._next_running_task(job, 1)
            job["failure"] = job_error(str(injected.get("code", "95226")), vm_names[0], window, injected.get("message"))
        stall = self._take_fault("stall_job", job["kind"], vm_names)
        if stall:
            job["stall_at"] = self._next_running_task(job, min(int(stall.get("task", 1)), len(job["tasks"]) - 1))
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
        """(state, start, end) per task; skipped tasks are state Other (shown as Skipped)."""
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
            if task["skipped"]:  # NotStarted until the job gets there, then Other (shown as Skipped), as recorded
                reached = begin <= elapsed and not (state == "Failed" and index > job["fail_at"])
                result.append(("Other" if reached else "NotStarted", None, None))
            elif state == "Failed" and index == job["fail_at"]:
                result.append(("Failed", task_start, end))
            elif state == "Cancelled" and begin <= elapsed < finish:
                result.append(("Cancelled", task_start, end))
            elif finish <= elapsed and not (state == "Failed" and index > job["fail_at"]):
                if state in ("InProgress", "Suspended") and index == job["stall_at"]:
                    result.append((state, task_start, None))
                else:
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

    def job_errors(self, job: dict[str, Any], state: str, end: float | None) -> list[dict[str, Any]]:
        """The errors of a job seen in `state` (ended at `end`): those of its failure as soon as it shows Failed.

        A job shows Failed from the moment its failing task ends (job_progress, on the clock), while `_finish` stores
        its errors only at the next `advance()`, and the clock moves on within a request (the state is saved after
        `advance()`, then rendered): a GET served in between must still carry the errors, as ASR's failed job does,
        never Failed with an empty error list (seen at N=100: the client could not tell the agent window apart)."""
        if state != "Failed":
            return []
        if job["final"] == "Failed":
            return job["errors"]
        return self._failure_errors(job, job["end"] if end is None else end)

    def _failure_errors(self, job: dict[str, Any], end: float) -> list[dict[str, Any]]:
        failure = job["failure"]
        return [
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

    def _finish(self, job: dict[str, Any], state: str, end: float) -> None:
        job["final"], job["end"] = state, end
        self.state["active_jobs"].remove(job["name"])
        items = [self.state["items"][name] for name in job["items"]]
        for item in items:
            if item["job"] == job["name"]:
                item["job"] = None
        if state == "Failed":
            job["errors"] = self._failure_errors(job, end)
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
        """The phase change and side effects of a successful job on one item."""
        kind = job["kind"]
        leg, phase = job["from"][item["name"]]
        details = job["details"].get(item["name"], {})
        azure_vm = self.state["azure_vms"].get(item["vm"])
        if kind in FAILOVER_KINDS and phase == "replicating":
            last = self.latest_point(item, job["start"])
            item["last_point"] = last["time"] if last else None
            item["phase"] = "commit_pending"
            item["last_failover"], item["rp_until"] = job["start"], job["start"]
            item["failover_rp"] = (details.get("rp") or {}).get("id")
            if kind == "PlannedFailover":
                item["planned"] = {"start": job["start"], "status": "Succeeded"}
            item["source_shutdown"] = leg == "reverse" or bool(details.get("source_shutdown"))
            if leg == "reverse":
                item["booted"]["avs"] = end + self._boot_seconds()
                if azure_vm:
                    azure_vm["power"] = "deallocated"
                tools_off = self.tools_stay_disabled(item["vm"]) or self.broken_at_point(item, details)
                self.coupling.vm_failed_back(item["vm"], item["os"], tools_off)
            else:
                item["booted"]["azure"] = end + self._boot_seconds()
                self._create_azure_vm(item, end)
                self.coupling.vm_failed_over_to_azure(item["vm"], item["os"], bool(details.get("source_shutdown")))
        elif kind == "CommitFailover" and phase == "commit_pending":
            self._commit(item)
        elif kind == "CancelFailover" and phase == "commit_pending":
            item["phase"] = "replicating"
            item["rp_until"] = item["failover_rp"] = None
            if leg == "reverse":
                item["booted"]["azure"] = end + self._boot_seconds()
                if azure_vm:
                    azure_vm["power"] = "running"
                    azure_vm["booted"] = item["booted"]["azure"]
                self.coupling.vm_failed_over_to_azure(item["vm"], item["os"], True)
            else:
                self.state["azure_vms"].pop(item["vm"], None)
        elif kind == "ApplyRecoveryPoint":
            # Only offered after a failover to Azure (forward leg): the Azure VM restarts on the new point; the AVS
            # side (the source VM, shut down or not by the failover) is untouched.
            item["failover_rp"] = details["rp"]["id"]
            item["booted"]["azure"] = end + self._boot_seconds()
            if azure_vm:
                azure_vm.update(
                    {"power": "running", "booted": item["booted"]["azure"], "recovery_point": item["failover_rp"]}
                )
        elif kind == "SwitchReplicationGroupProtection":
            if phase == "commit_pending":
                self._commit(item)  # the reprotect job's "Committing failover" task
            new_leg = "forward" if leg == "reverse" else "reverse"
            item[new_leg].update({k: v for k, v in details.get("inputs", {}).items() if v is not None})
            item.update(
                {
                    "last_point": None,
                    "leg": new_leg,
                    "phase": "replicating",
                    "ir_start": end,
                    "ir_until": end + self._ir_seconds(),
                    "rp_since": end + self._ir_seconds(),
                    "rp_until": None,
                    "lag_minutes": 0,  # a new replication pair: the scenario's lag was the old pair's
                    "last_failover": None,
                    "failover_rp": None,
                    "planned": None,
                }
            )

    def _commit(self, item: dict[str, Any]) -> None:
        item["phase"] = "committed"
        item["rp_since"] = item["rp_until"] = None
        if item["leg"] == "reverse":
            self.state["azure_vms"].pop(item["vm"], None)  # the failed-back Azure VM is deleted

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
            if item["job"] or [item["leg"], item["phase"]] != list(job["from"][item["name"]]):
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

    def release_stalls(self) -> list[str]:
        """Let every job a ``stall_job`` fault holds (InProgress or Suspended) carry on from its stalled task, as if
        ASR had never paused it: a test holds a job, kills the run, then releases it once a re-run follows it."""
        released = []
        now = self.clock.now()
        for name in self.state["active_jobs"]:
            job = self.state["jobs"][name]
            if job.get("final") or job.get("stall_at") is None:
                continue
            offset = self._offset(job, job["stall_at"])
            if now - job["start"] > offset:
                job["start"] = now - offset
            job["stall_at"], job["suspend"] = None, False
            released.append(name)
        self.save()
        return released

    def new_operation(self, job: dict[str, Any], kind: str) -> str:
        """A job action's operation (cancel, restart, resume). Submissions use the job's name as operation id."""
        op_id = str(uuid.uuid4())
        self.state["operations"][op_id] = {"job": job["name"], "kind": kind, "start": self.clock.now()}
        return op_id

    def operation(self, op_id: str) -> dict[str, Any]:
        for key, op in self.state["operations"].items():
            if key.lower() == op_id.lower():
                return {"id": key, **op}
        for name, job in self.state["jobs"].items():
            if name.lower() == op_id.lower():
                return {"id": name, "job": name, "kind": "submit", "start": job["start"]}
        raise ArmError(404, "NotFound", f"The operation '{op_id}' was not found.")

    # ---- the control API's view ----------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        items = {}
        for item in self.state["items"].values():
            view = self.stage_view(item)
            items[item["vm"]] = {
                "item_name": item["name"],
                "stage": view["stage"],
                "leg": item["leg"],
                "phase": item["phase"],
                "replication": view["status"],
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
            "architecture": self.topology.architecture,
            "now": self.clock.now(),
            "time_scale": self.clock.time_scale,
            "items": items,
            "jobs": {
                name: {
                    "kind": job["kind"],
                    "state": state,
                    "items": job["items"],
                    "plan": job["plan"],
                    "start": job["start"],
                    "end": end,
                }
                for name, job in self.state["jobs"].items()
                for state, end in [self.job_progress(job)]
            },
            "azure_vms": self.state["azure_vms"],
            "faults": self.state["faults"],
        }


def _point_kind(moment: float, app_step: float, app_stopped_at: float | None) -> str:
    """Application-consistent on its schedule, unless the `app_consistent_stops` fault stopped those before it."""
    on_schedule = moment % app_step == 0 and (app_stopped_at is None or moment <= app_stopped_at)
    return "ApplicationConsistent" if on_schedule else "CrashConsistent"
