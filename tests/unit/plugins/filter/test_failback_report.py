"""The failback report filters: escaping, summaries with and without a timeline, totals, RTO, self-containment."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.avsdr.site_recovery.plugins.filter import failback_report as report
from ansible_collections.avsdr.site_recovery.plugins.filter.failback_report import FilterModule

# Today's summary keys (no timeline, no vault, no inputs), as the summary role writes them.
PLAIN = {
    "check_mode": False,
    "awx_job_id": None,
    "finished_at": "2026-12-01T00:30:00Z",
    "vms": [
        {
            "vm": "web-win-01",
            "protected_item": "web-win-01",
            "recovery_plan": "rp-web",
            "stage_at_start": "failback_ready",
            "stage_at_end": "reprotected",
            "recovery_point": "2026-12-01T02:10:00.0000000Z",
            "recovery_point_id": "/x/recoveryPoints/p1",
            "data_loss_seconds": 250.5,
            "jobs": {"failover": "job-fo", "commit": "job-co", "reprotect": "job-re"},
            "duration_seconds": {"preflight": 4.2, "failback": 61.0, "reprotect": 30.0},
            "outcome": "completed",
            "result": "failed back, committed, reprotected",
            "message": "",
            "next_steps": "",
        },
        {
            "vm": "new-win-06",
            "protected_item": "new-win-06",
            "recovery_plan": "",
            "stage_at_start": "reverse_waiting_for_recovery_point",
            "stage_at_end": "reverse_waiting_for_recovery_point",
            "recovery_point": None,
            "recovery_point_id": None,
            "data_loss_seconds": None,
            "jobs": {"failover": None, "commit": None, "reprotect": None},
            "duration_seconds": {"preflight": 3.0, "failback": None, "reprotect": None},
            "outcome": "not_ready",
            "result": "not ready, left out",
            "message": "no recovery point yet",
            "next_steps": "fix the reasons, then re-run this playbook",
        },
    ],
    "counts": {"completed": 1, "not_ready": 1},
}


def with_timeline() -> dict:
    summary = copy.deepcopy(PLAIN)
    summary.update(
        {
            "schema_version": 2,
            "started_at": "2026-12-01T00:20:00Z",
            "vault": {"resource_group": "rg-avs-dr", "vault_name": "rsv-avs-dr"},
            "inputs": {"failback_max_data_loss": "30m", "preflight_skip_unready": True},
        }
    )
    summary["vms"][0]["timeline"] = {
        "preflight": {"started_at": "2026-12-01T00:20:00Z", "ended_at": "2026-12-01T00:20:04Z", "outcome": "ok"},
        "failover": {"started_at": "2026-12-01T00:20:10Z", "ended_at": "2026-12-01T00:21:00Z", "outcome": "ok"},
        "verify": {"started_at": "2026-12-01T00:21:00Z", "ended_at": "2026-12-01T00:21:30Z", "outcome": "ok"},
        "commit": {"started_at": "2026-12-01T00:21:30Z", "ended_at": "2026-12-01T00:21:40Z", "outcome": "ok"},
        "reprotect": [
            {"started_at": "2026-12-01T00:21:40Z", "ended_at": "2026-12-01T00:21:50Z", "outcome": "failed"},
            {"started_at": "2026-12-01T00:22:00Z", "ended_at": "2026-12-01T00:22:30Z", "outcome": "ok"},
        ],
    }
    summary["vms"][1]["timeline"] = {
        "preflight": {"started_at": "2026-12-01T00:20:00Z", "ended_at": "2026-12-01T00:20:03Z", "outcome": "not_ready"}
    }
    return summary


class Elements(HTMLParser):
    """Tags with their attributes, and the text, of an HTML page."""

    def __init__(self, page: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def test_both_filters_are_exported():
    assert set(FilterModule().filters()) == {"failback_report_html", "failback_report_markdown"}


def test_every_string_is_escaped_vm_names_are_user_input():
    summary = copy.deepcopy(PLAIN)
    hostile = '<script>alert("x")</script>&|*_`'
    summary["vms"][1].update(vm=hostile, message="<img src=x onerror=alert(1)>", next_steps="run `rm` | <b>now</b>")
    summary["vms"][0]["recovery_plan"] = '"><svg onload=alert(1)>'
    page = report.failback_report_html(summary)
    assert "<script" not in page and "<img" not in page and "<svg onload" not in page and "<b>now" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;|*_`" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    parsed = Elements(page)
    assert not [attrs for tag, attrs in parsed.tags if any(name.startswith("on") for name in attrs)]
    markdown = report.failback_report_markdown(summary)
    assert "<script" not in markdown and "<img" not in markdown
    row = next(line for line in markdown.splitlines() if "alert(&quot;" in line or 'alert("' in line)
    # the hostile name adds no table cell: its pipe is escaped
    assert len(re.findall(r"(?<!\\)\|", row)) == 8
    assert "run \\`rm\\` \\| &lt;b&gt;now&lt;/b&gt;" in markdown


def test_a_summary_without_timeline_vault_or_inputs_renders_from_durations():
    page = report.failback_report_html(PLAIN)
    parsed = Elements(page)
    assert "no timeline" in page
    charts = parsed.find("svg")
    assert len(charts) == 3  # the run at a glance, then one per VM
    # web-win-01: preflight, failback and reprotect durations; new-win-06: its preflight; in both charts
    assert len(re.findall(r'<rect x="[\d.]+" y="\d+" width="[\d.]+" height="14"', page)) == 2 * 4
    assert "Failback</span>" in page and "Verification</span>" not in page
    assert "The summary does not record the run's inputs." in page
    assert "1m 1s" in page  # the RTO of web-win-01 from its failback duration
    markdown = report.failback_report_markdown(PLAIN)
    assert (
        "| web-win-01 | rp-web | completed | 2026-12-01 02:10:00 UTC | 4m 10s | 1m 1s | job-fo / job-co / job-re |"
        in (markdown)
    )
    assert "- **new-win-06** (not\\_ready) - no recovery point yet" in markdown
    assert "  - next: fix the reasons, then re-run this playbook" in markdown


def test_totals_match_the_counts():
    parsed = Elements(report.failback_report_html(PLAIN))
    totals = {attrs["data-outcome"] for attrs in parsed.find("div", **{"class": "total"}) if "data-outcome" in attrs}
    assert totals == set(PLAIN["counts"])
    page = report.failback_report_html(PLAIN)
    for outcome, count in PLAIN["counts"].items():
        assert f'data-outcome="{outcome}"' in page
        assert re.search(rf'data-outcome="{outcome}"[^>]*><b>{count}</b>{outcome}</div>', page)
    assert "<b>2</b>VMs" in page
    # a summary without counts: computed from the VMs' outcomes
    uncounted = {key: value for key, value in PLAIN.items() if key != "counts"}
    assert re.search(r'data-outcome="not_ready"[^>]*><b>1</b>not_ready</div>', report.failback_report_html(uncounted))
    assert "**2 VMs:** 1 completed, 1 not\\_ready" in report.failback_report_markdown(PLAIN)


def test_a_timeline_gives_a_common_axis_rto_per_vm_and_per_plan():
    summary = with_timeline()
    page = report.failback_report_html(summary)
    assert "rg-avs-dr / rsv-avs-dr" in page
    assert "Common time axis 2026-12-01 00:20:00 UTC to 2026-12-01 00:22:30 UTC." in page
    # web-win-01: 6 bars (two reprotect attempts, the first failed and outlined red); new-win-06: 1; in the chart of
    # the run and in the VM's own
    glance, per_vm = page.split('id="run-chart"')[1].split("<h2>", 1)[0], page.split("<h2>Per VM</h2>")[1]
    assert len(re.findall(r'height="14" rx="2"', glance)) == 7
    assert len(re.findall(r'height="14" rx="2"', per_vm)) == 7
    assert glance.count('stroke="#cf222e"') == per_vm.count('stroke="#cf222e"') == 1
    assert "loss 4m 10s" in glance
    # RTO: failover start 00:20:10 to verified 00:21:30
    assert "1m 20s" in page
    plans = Elements(page).find("table", id="plans")
    assert plans
    assert '<td>rp-web</td><td>web-win-01</td><td class="num">1m 20s</td>' in page
    assert "failback_max_data_loss" in page and "30m" in page
    assert "**RTO per recovery plan:** rp-web 1m 20s" in report.failback_report_markdown(summary)


def test_check_mode_is_flagged():
    assert 'id="check-mode"' not in report.failback_report_html(PLAIN)
    checked = dict(PLAIN, check_mode=True)
    assert 'id="check-mode"' in report.failback_report_html(checked)
    assert "check mode: nothing was changed" in report.failback_report_markdown(checked)


def test_the_page_is_self_contained_and_printable():
    page = report.failback_report_html(with_timeline())
    assert page.startswith("<!DOCTYPE html>")
    assert "@media print" in page
    lowered = page.lower()
    assert "<script" not in lowered and "<link" not in lowered and "src=" not in lowered and "url(" not in lowered
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}


def test_the_summary_may_come_as_json_text_and_anything_else_is_refused():
    assert report.failback_report_markdown(json.dumps(PLAIN)) == report.failback_report_markdown(PLAIN)
    with pytest.raises(AnsibleFilterError, match="expected the summary dict"):
        report.failback_report_html(["web-win-01"])
    with pytest.raises(AnsibleFilterError, match="not JSON"):
        report.failback_report_html("{")


def test_without_a_vault_key_the_vault_comes_from_the_protected_item_ids():
    summary = copy.deepcopy(PLAIN)
    for vm in summary["vms"]:
        vm["protected_item"] = (
            "/Subscriptions/s/resourceGroups/rg-avs-dr/providers/Microsoft.RecoveryServices/vaults/rsv-avs-dr"
            f"/replicationFabrics/f/replicationProtectionContainers/c/replicationProtectedItems/{vm['vm']}"
        )
    assert "Vault <b>rg-avs-dr / rsv-avs-dr</b>" in report.failback_report_html(summary)
    assert "Vault <b>-</b>" in report.failback_report_html(PLAIN)
