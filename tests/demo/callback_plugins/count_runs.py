# A notification callback that counts, per host, the tasks a run executed and the module invocations they made
# (the demo's cost per VM, measured before and after the runbook changes).
#   ANSIBLE_CALLBACK_PLUGINS=tests/demo/callback_plugins ANSIBLE_CALLBACKS_ENABLED=count_runs \
#   COUNT_RUNS_FILE=counts.json ansible-playbook ...
# Tasks: every task that ran on the host (skipped ones are not counted). Module invocations: the runs of a module on
# the host, that is, tasks other than the controller-side actions (set_fact, assert, debug, include_*, ...), each
# loop item and each retry of an `until` loop counted once.
from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: count_runs
type: aggregate
short_description: count tasks and module invocations per host
description: Writes the counts per host and their mean per host, as JSON, to the file named by COUNT_RUNS_FILE.
"""

CONTROLLER_ACTIONS = {
    "set_fact",
    "assert",
    "debug",
    "fail",
    "include_role",
    "import_role",
    "include_tasks",
    "import_tasks",
    "meta",
    "validate_argument_spec",
    "set_stats",
    "include_vars",
}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "count_runs"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.counts = {}

    def _host(self, result):
        return self.counts.setdefault(result._host.get_name(), {"tasks": 0, "modules": 0, "by_action": {}})

    def _module(self, result):
        return result._task.action.rsplit(".", 1)[-1] not in CONTROLLER_ACTIONS

    def _count(self, result, runs):
        entry = self._host(result)
        entry["tasks"] += 1
        if self._module(result):
            entry["modules"] += runs
            action = result._task.action.rsplit(".", 1)[-1]
            entry["by_action"][action] = entry["by_action"].get(action, 0) + runs

    def _done(self, result):
        items = result._result.get("results")
        if items is not None:
            runs = len([item for item in items if not item.get("skipped")])
            if runs == 0:
                return
        else:
            runs = 1
        self._count(result, runs)

    def v2_runner_on_ok(self, result):
        self._done(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._done(result)

    def v2_runner_retry(self, result):
        if self._module(result):
            entry = self._host(result)
            entry["modules"] += 1
            action = result._task.action.rsplit(".", 1)[-1]
            entry["by_action"][action] = entry["by_action"].get(action, 0) + 1

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("COUNT_RUNS_FILE")
        hosts = sorted(host for host in self.counts if host != "localhost")
        n = len(hosts) or 1
        report = {
            "hosts": self.counts,
            "per_vm": {
                "tasks": round(sum(self.counts[h]["tasks"] for h in hosts) / n, 1),
                "modules": round(sum(self.counts[h]["modules"] for h in hosts) / n, 1),
            },
        }
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(report, handle, indent=2, sort_keys=True)
