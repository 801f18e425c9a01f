# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failback report: the runbook's summary (summary_report_file) as one self-contained HTML page or as Markdown.

The filters are documented in failback_report_html.yml and failback_report_markdown.yml next to this file.
Everything is rendered from the summary alone: no network, no script, no file other than the page itself. Every
string of the summary is escaped (VM names and messages are user input).
"""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timedelta, timezone

from ansible.errors import AnsibleFilterError

PHASES = ("preflight", "failover", "verify", "commit", "reprotect")
PHASE_LABELS = {
    "preflight": "Preflight",
    "failover": "Failover job",
    "verify": "Verification",
    "commit": "Commit job",
    "reprotect": "Reprotect job",
    "failback": "Failback",
}
PHASE_COLORS = {
    "preflight": "#8a94a6",
    "failover": "#1f6feb",
    "verify": "#1a9c8c",
    "commit": "#2e8b3a",
    "reprotect": "#7d4cdb",
    "failback": "#1f6feb",
}
# The summary without a timeline only has durations: these phases, one after the other.
# (the failback's duration covers its failover, verification and commit)
DURATION_PHASES = (("preflight", "preflight"), ("failback", "failback"), ("reprotect", "reprotect"))
OUTCOME_COLORS = {
    "completed": "#2e8b3a",
    "unchanged": "#57606a",
    "verified": "#1a9c8c",
    "check_mode": "#57606a",
    "not_ready": "#bf8700",
    "failed": "#cf222e",
}
NEEDS_STEPS = ("failed", "not_ready", "verified")  # outcomes whose next steps the report shows
_ISO = re.compile(
    r"^(?P<base>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?)(?:\.(?P<fraction>\d+))?(?P<zone>Z|[+-]\d{2}:?\d{2})?$"
)
GANTT_WIDTH = 760  # the SVG chart of one VM: width, width of the phase labels, height of a bar
GANTT_LABEL = 110
BAR_HEIGHT = 14


# ---- reading the summary ------------------------------------------------------------------------------------------
def _summary(value) -> dict:
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except ValueError as error:
            raise AnsibleFilterError(f"failback report: the summary is not JSON: {error}") from error
    if not isinstance(value, dict):
        raise AnsibleFilterError(
            f"failback report: expected the summary dict the summary role writes, got {type(value).__name__}"
        )
    return value


def _time(value) -> datetime | None:
    """An ISO-8601 time (up to 7 fractional digits, as ASR writes them) as aware UTC; None when unreadable."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    match = _ISO.match(str(value or "").strip())
    if not match:
        return None
    zone = match["zone"] or "Z"
    zone = "+00:00" if zone == "Z" else f"{zone[:3]}:{zone[-2:]}"
    fraction = (match["fraction"] or "0")[:6].ljust(6, "0")
    base = match["base"].replace(" ", "T")
    base = base if base.count(":") == 2 else base + ":00"
    try:
        return datetime.fromisoformat(f"{base}.{fraction}{zone}").astimezone(timezone.utc)
    except ValueError:
        return None


def _number(value) -> float | None:
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _duration(seconds) -> str:
    seconds = _number(seconds)
    if seconds is None:
        return "-"
    remaining = round(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if remaining >= size:
            parts.append(f"{remaining // size}{unit}")
            remaining %= size
    if remaining or not parts:
        parts.append(f"{remaining}s")
    return " ".join(parts)


def _clock(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"


def _text(value) -> str:
    return "" if value is None else str(value)


def _segments(vm: dict) -> list[dict]:
    """The VM's timed phases: [{phase, start, end, outcome}] from its timeline (a phase may hold several attempts,
    e.g. the reprotect retried through the agent window); empty when the summary has no timeline for it."""
    timeline = vm.get("timeline")
    if not isinstance(timeline, dict):
        return []
    segments = []
    for phase, entry in timeline.items():
        for attempt in entry if isinstance(entry, list) else [entry]:
            if not isinstance(attempt, dict):
                continue
            start, end = _time(attempt.get("started_at")), _time(attempt.get("ended_at"))
            if start is None:
                continue
            segments.append({"phase": str(phase), "start": start, "end": end, "outcome": attempt.get("outcome")})
    order = {phase: index for index, phase in enumerate(PHASES)}
    return sorted(segments, key=lambda s: (s["start"], order.get(s["phase"], len(PHASES))))


def _durations(vm: dict) -> list[tuple[str, float]]:
    """(phase, seconds) from duration_seconds, for a VM without a timeline."""
    durations = vm.get("duration_seconds") if isinstance(vm.get("duration_seconds"), dict) else {}
    found = []
    for key, phase in DURATION_PHASES:
        seconds = _number(durations.get(key))
        if seconds is not None and seconds > 0:
            found.append((phase, seconds))
    return found


def _rto(vm: dict) -> float | None:
    """Seconds from the start of the failover to the workload verified in AVS (the end of the verification, else of
    the failover, else the commit); from durations, the failback's, when there is no timeline."""
    segments = _segments(vm)
    failover = [s for s in segments if s["phase"] == "failover"]
    if failover:
        start = min(s["start"] for s in failover)
        for phase in ("verify", "failover", "commit"):
            ends = [s["end"] for s in segments if s["phase"] == phase and s["end"] is not None]
            if ends:
                return max(0.0, (max(ends) - start).total_seconds())
        return None
    if segments:
        return None
    durations = vm.get("duration_seconds") if isinstance(vm.get("duration_seconds"), dict) else {}
    if vm.get("jobs", {}).get("failover") if isinstance(vm.get("jobs"), dict) else None:
        return _number(durations.get("failback"))
    return None


def _plan_rtos(vms: list[dict]) -> list[dict]:
    """Per recovery plan: the VMs, and the plan's RTO from the first failover start to the last VM verified (from
    timelines), else the longest RTO of its VMs."""
    plans: dict[str, list[dict]] = {}
    for vm in vms:
        if vm.get("recovery_plan"):
            plans.setdefault(str(vm["recovery_plan"]), []).append(vm)
    result = []
    for name, members in sorted(plans.items()):
        starts, ends = [], []
        for vm in members:
            segments = _segments(vm)
            starts += [s["start"] for s in segments if s["phase"] == "failover"]
            ends += [s["end"] for s in segments if s["phase"] in ("verify", "failover") and s["end"] is not None]
        if starts and ends:
            rto = max(0.0, (max(ends) - min(starts)).total_seconds())
        else:
            values = [value for value in (_rto(vm) for vm in members) if value is not None]
            rto = max(values) if values else None
        result.append({"plan": name, "vms": [_text(vm.get("vm")) for vm in members], "rto": rto})
    return result


def _counts(summary: dict, vms: list[dict]) -> dict:
    counts = summary.get("counts")
    if isinstance(counts, dict) and counts:
        return counts
    found: dict = {}
    for vm in vms:
        found[vm.get("outcome") or "unknown"] = found.get(vm.get("outcome") or "unknown", 0) + 1
    return found


_VAULT_ID = re.compile(r"/resourceGroups/([^/]+)/providers/Microsoft\.RecoveryServices/vaults/([^/]+)", re.IGNORECASE)


def _vault(summary: dict) -> str:
    """resource group / vault: the summary's ``vault``, else read from the VMs' protected item ids."""
    vault = summary.get("vault") if isinstance(summary.get("vault"), dict) else {}
    names = [_text(vault.get("resource_group")), _text(vault.get("vault_name"))]
    if not any(names):
        found = {m.groups() for vm in _vms(summary) for m in [_VAULT_ID.search(_text(vm.get("protected_item")))] if m}
        names = list(found.pop()) if len(found) == 1 else names
    return " / ".join(name for name in names if name) or "-"


def _vms(summary: dict) -> list[dict]:
    return [vm for vm in summary.get("vms") or [] if isinstance(vm, dict)]


def _jobs(vm: dict) -> list[tuple[str, str]]:
    jobs = vm.get("jobs") if isinstance(vm.get("jobs"), dict) else {}
    return [(kind, _text(jobs.get(kind))) for kind in ("failover", "commit", "reprotect") if jobs.get(kind)]


# ---- HTML -----------------------------------------------------------------------------------------------------------
def _e(value) -> str:
    return html.escape(_text(value), quote=True)


CSS = """
:root { --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink); margin: 24px;
       max-width: 1280px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line);
     padding-bottom: 4px; } h3 { font-size: 16px; margin: 0 0 6px; }
.muted { color: var(--muted); }
.banner { padding: 8px 12px; border-radius: 6px; margin: 10px 0; font-weight: 600; }
.banner.check { background: #fff8c5; border: 1px solid #d4a72c; }
.totals { display: flex; gap: 10px; flex-wrap: wrap; margin: 12px 0; }
.total { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 110px; background: var(--soft); }
.total b { display: block; font-size: 22px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
.outcome { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-weight: 600; font-size: 12px; }
.vm { border: 1px solid var(--line); border-left: 6px solid var(--muted); border-radius: 6px; padding: 10px 14px;
      margin: 12px 0; page-break-inside: avoid; break-inside: avoid; }
.vm dl { display: grid; grid-template-columns: 170px 1fr; gap: 2px 12px; margin: 6px 0; }
.vm dt { color: var(--muted); } .vm dd { margin: 0; }
.next { background: #fff1e5; border: 1px solid #f0b37e; border-radius: 6px; padding: 6px 10px; margin-top: 6px; }
.legend span { display: inline-block; margin-right: 14px; font-size: 12px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; border-radius: 2px; }
svg { display: block; max-width: 100%; height: auto; }
@media print {
  body { margin: 0; max-width: none; font-size: 11px; }
  .vm, table, .totals { page-break-inside: avoid; break-inside: avoid; }
  .outcome, .legend i, svg rect { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { page-break-after: avoid; break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def _outcome_badge(outcome) -> str:
    color = OUTCOME_COLORS.get(_text(outcome), "#57606a")
    return f'<span class="outcome" style="background:{color}">{_e(outcome or "unknown")}</span>'


def _axis(vms: list[dict]) -> tuple[datetime, datetime] | None:
    moments = []
    for vm in vms:
        for segment in _segments(vm):
            moments.append(segment["start"])
            if segment["end"] is not None:
                moments.append(segment["end"])
    if not moments:
        return None
    start, end = min(moments), max(moments)
    return start, max(end, start + timedelta(seconds=1))


def _bars(vm: dict, axis: tuple[datetime, datetime] | None, longest: float) -> list[tuple]:
    """(phase, left, width, seconds, outcome, running) per bar, left and width as fractions of the chart: on the
    run's common time axis from the timeline, else the recorded durations end to end on a common scale."""
    segments = _segments(vm)
    bars = []
    if segments and axis:
        start, end = axis
        span = max((end - start).total_seconds(), 1.0)
        for segment in segments:
            seg_end = segment["end"] or end
            seconds = max((seg_end - segment["start"]).total_seconds(), 0.0)
            left = (segment["start"] - start).total_seconds() / span
            bars.append((segment["phase"], left, seconds / span, seconds, segment["outcome"], segment["end"] is None))
        return bars
    offset, span = 0.0, max(longest, 1.0)
    for phase, seconds in _durations(vm):
        bars.append((phase, offset / span, seconds / span, seconds, None, False))
        offset += seconds
    return bars


def _ticks(axis: tuple[datetime, datetime] | None, longest: float) -> list[tuple[float, str]]:
    if axis:
        return [(0.0, axis[0].strftime("%H:%M:%S")), (1.0, axis[1].strftime("%H:%M:%S"))]
    return [(0.0, "0 s"), (1.0, _duration(max(longest, 1.0)))]


def _bar(x: float, y: float, w: float, segment: tuple, name: str) -> str:
    phase, seconds, outcome, running = segment[0], segment[3], segment[4], segment[5]
    failed = _text(outcome).lower() in ("failed", "error", "refused")
    stroke = ' stroke="#cf222e" stroke-width="2"' if failed else ""
    label = PHASE_LABELS.get(phase, phase)
    title = (
        f"{name}: {label} {_duration(seconds)}" + (f" ({outcome})" if outcome else "") + (" running" if running else "")
    )
    return (
        f'<rect x="{x:.1f}" y="{y}" width="{max(w, 2.0):.1f}" height="{BAR_HEIGHT}" rx="2"'
        f' fill="{PHASE_COLORS.get(phase, "#57606a")}"{stroke}><title>{_e(title)}</title></rect>'
    )


def _svg(label: str, height: int, plot: float, body: list[str], ticks: list[tuple[float, str]]) -> str:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {GANTT_WIDTH} {height}" width="{GANTT_WIDTH}"'
        f' height="{height}" role="img" aria-label="{_e(label)}">',
        f'<rect x="{GANTT_LABEL}" y="0" width="{plot}" height="{height - 20}" fill="#f6f8fa" stroke="#d0d7de"/>',
        *body,
    ]
    for position, text in ticks:
        x = GANTT_LABEL + position * plot
        anchor = "start" if position == 0 else "end"
        parts.append(
            f'<text x="{x:.1f}" y="{height - 6}" font-size="10" fill="#57606a" text-anchor="{anchor}">{_e(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _gantt(vm: dict, axis: tuple[datetime, datetime] | None, longest: float) -> str:
    """One inline SVG per VM: a row per phase (per attempt of a phase)."""
    bars = _bars(vm, axis, longest)
    if not bars:
        return '<p class="muted">No timed phase recorded.</p>'
    name = _text(vm.get("vm"))
    plot = GANTT_WIDTH - GANTT_LABEL - 60
    body = []
    for index, segment in enumerate(bars):
        phase, left, width, seconds, outcome = segment[:5]
        y = 4 + 18 * index
        x, w = GANTT_LABEL + left * plot, width * plot
        failed = _text(outcome).lower() in ("failed", "error", "refused")
        body.append(
            f'<text x="4" y="{y + 11}" font-size="11" fill="#1f2328">{_e(PHASE_LABELS.get(phase, phase))}</text>'
        )
        body.append(_bar(x, y, w, segment, name))
        body.append(
            f'<text x="{x + max(w, 2.0) + 4:.1f}" y="{y + 11}" font-size="10" fill="#57606a">'
            f"{_e(_duration(seconds))}{' failed' if failed else ''}</text>"
        )
    note = "" if _segments(vm) and axis else " (durations only: the summary has no timeline)"
    return _svg(f"timeline of {name}{note}", 18 * len(bars) + 26, plot, body, _ticks(axis, longest))


def _run_chart(vms: list[dict], axis: tuple[datetime, datetime] | None, longest: float) -> str:
    """The whole run at a glance: one row per VM, its phases side by side, its data loss at the right."""
    plot = GANTT_WIDTH - GANTT_LABEL - 110
    body = []
    for index, vm in enumerate(vms):
        y = 4 + 20 * index
        name = _text(vm.get("vm"))
        colour = OUTCOME_COLORS.get(_text(vm.get("outcome")), "#57606a")
        body.append(f'<text x="4" y="{y + 11}" font-size="11" fill="{colour}" font-weight="600">{_e(name[:18])}</text>')
        for segment in _bars(vm, axis, longest):
            body.append(_bar(GANTT_LABEL + segment[1] * plot, y, segment[2] * plot, segment, name))
        loss = vm.get("data_loss_seconds")
        text = f"loss {_duration(loss)}" if _number(loss) is not None else _text(vm.get("outcome"))
        body.append(f'<text x="{GANTT_LABEL + plot + 8}" y="{y + 11}" font-size="11" fill="#1f2328">{_e(text)}</text>')
    return _svg("the run at a glance", 20 * len(vms) + 26, plot, body, _ticks(axis, longest))


def _inputs_table(inputs) -> str:
    if not isinstance(inputs, dict) or not inputs:
        return '<p class="muted">The summary does not record the run\'s inputs.</p>'
    rows = "".join(
        f"<tr><th>{_e(key)}</th><td><code>{_e(json.dumps(value) if not isinstance(value, str) else value)}</code>"
        "</td></tr>"
        for key, value in sorted(inputs.items())
    )
    return f"<table><tbody>{rows}</tbody></table>"


def failback_report_html(summary) -> str:
    summary = _summary(summary)
    vms = _vms(summary)
    counts = _counts(summary, vms)
    axis = _axis(vms)
    longest = max([sum(pair[1] for pair in _durations(vm)) for vm in vms] or [0.0])
    started, finished = _time(summary.get("started_at")), _time(summary.get("finished_at"))
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Failback report - {_e(_vault(summary))}</title>",
        f"<style>{CSS}</style></head><body>",
        '<header id="report-header">',
        "<h1>Failback to Azure VMware Solution</h1>",
        f'<p class="muted">Vault <b>{_e(_vault(summary))}</b>'
        + (f" &middot; started {_e(_clock(started))}" if started else "")
        + f" &middot; finished {_e(_clock(finished))}"
        + (f" &middot; AWX job {_e(summary.get('awx_job_id'))}" if summary.get("awx_job_id") else "")
        + (f" &middot; summary schema {_e(summary.get('schema_version'))}" if summary.get("schema_version") else "")
        + "</p>",
    ]
    if summary.get("check_mode"):
        out.append('<div class="banner check" id="check-mode">Check mode: nothing was changed.</div>')
    out.append('<div class="totals" id="totals">')
    out.append(f'<div class="total"><b>{len(vms)}</b>VMs</div>')
    for outcome, count in counts.items():
        color = OUTCOME_COLORS.get(_text(outcome), "#57606a")
        out.append(
            f'<div class="total" data-outcome="{_e(outcome)}" style="border-left:5px solid {color}">'
            f"<b>{_e(count)}</b>{_e(outcome)}</div>"
        )
    out.append("</div></header>")

    legend = "".join(
        f'<span><i style="background:{PHASE_COLORS[phase]}"></i>{_e(PHASE_LABELS[phase])}</span>'
        for phase in (PHASES if axis else [pair[1] for pair in DURATION_PHASES])
    )
    axis_note = (
        f"Common time axis {_e(_clock(axis[0]))} to {_e(_clock(axis[1]))}."
        if axis
        else "The summary has no timeline: the bars lay each VM's recorded durations end to end, on a common scale."
    )
    out.append("<h2>Overview</h2>")
    out.append(
        '<table id="overview"><thead><tr><th>VM</th><th>Recovery plan</th><th>Outcome</th><th>Recovery point</th>'
        "<th>Data loss</th><th>RTO</th><th>Jobs</th></tr></thead><tbody>"
    )
    for vm in vms:
        jobs = "<br>".join(f"{_e(kind)}: <code>{_e(job)}</code>" for kind, job in _jobs(vm)) or "-"
        out.append(
            f'<tr><td><a href="#vm-{_e(vm.get("vm"))}">{_e(vm.get("vm"))}</a></td>'
            f"<td>{_e(vm.get('recovery_plan') or '-')}</td><td>{_outcome_badge(vm.get('outcome'))}</td>"
            f"<td>{_e(_clock(_time(vm.get('recovery_point'))) if vm.get('recovery_point') else '-')}</td>"
            f'<td class="num">{_e(_duration(vm.get("data_loss_seconds")))}</td>'
            f'<td class="num">{_e(_duration(_rto(vm)))}</td><td>{jobs}</td></tr>'
        )
    out.append("</tbody></table>")

    if vms:
        out.append("<h2>Timeline</h2>")
        out.append(f'<div id="run-chart">{_run_chart(vms, axis, longest)}</div>')
        out.append(f'<p class="legend">{legend}<br><span class="muted">{axis_note}</span></p>')

    plans = _plan_rtos(vms)
    if plans:
        out.append("<h2>Recovery plans</h2>")
        out.append('<table id="plans"><thead><tr><th>Plan</th><th>VMs</th><th>RTO</th></tr></thead><tbody>')
        for plan in plans:
            out.append(
                f"<tr><td>{_e(plan['plan'])}</td><td>{_e(', '.join(plan['vms']))}</td>"
                f'<td class="num">{_e(_duration(plan["rto"]))}</td></tr>'
            )
        out.append("</tbody></table>")

    out.append("<h2>Per VM</h2>")
    out.append(
        '<p class="muted">RTO: from the start of the failover to the workload verified in AVS. Recovery points and'
        " data-loss windows are on Azure Site Recovery's clock (the data written after the point, up to the start of"
        " the failover, is lost).</p>"
    )
    for vm in vms:
        color = OUTCOME_COLORS.get(_text(vm.get("outcome")), "#57606a")
        out.append(f'<section class="vm" id="vm-{_e(vm.get("vm"))}" style="border-left-color:{color}">')
        out.append(f"<h3>{_e(vm.get('vm'))} {_outcome_badge(vm.get('outcome'))}</h3>")
        out.append(_gantt(vm, axis, longest))
        details = [
            ("Result", _e(vm.get("result") or "-")),
            ("Protected item", _e(vm.get("protected_item") or "-")),
            ("Recovery plan", _e(vm.get("recovery_plan") or "-")),
            ("Stage", f"{_e(vm.get('stage_at_start') or '?')} &rarr; {_e(vm.get('stage_at_end') or '?')}"),
            (
                "Recovery point",
                (
                    f"{_e(_clock(_time(vm.get('recovery_point'))))}"
                    + (f"<br><code>{_e(vm.get('recovery_point_id'))}</code>" if vm.get("recovery_point_id") else "")
                )
                if vm.get("recovery_point")
                else "-",
            ),
            ("Data loss", _e(_duration(vm.get("data_loss_seconds")))),
            ("RTO", _e(_duration(_rto(vm)))),
            ("Jobs", "<br>".join(f"{_e(kind)}: <code>{_e(job)}</code>" for kind, job in _jobs(vm)) or "-"),
        ]
        if vm.get("message"):
            details.append(("Why", _e(vm.get("message"))))
        out.append("<dl>" + "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in details) + "</dl>")
        if vm.get("next_steps") and _text(vm.get("outcome")) in NEEDS_STEPS:
            out.append(f'<div class="next"><b>Next steps:</b> {_e(vm.get("next_steps"))}</div>')
        out.append("</section>")

    out.append("<h2>Inputs of the run</h2>")
    out.append(_inputs_table(summary.get("inputs")))
    out.append(
        '<p class="muted">Generated by avsdr.site_recovery (filter failback_report_html) from the run\'s summary;'
        " times in UTC; recovery points and data-loss windows are on Azure Site Recovery's clock.</p>"
    )
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# ---- Markdown -------------------------------------------------------------------------------------------------------
def _md(value) -> str:
    """Markdown table-cell text: HTML special characters, pipes, backticks, emphasis and newlines neutralised."""
    text = html.escape(_text(value), quote=False)
    text = re.sub(r"([\\`*_\[\]|#])", r"\\\1", text)
    return " ".join(text.split())


def failback_report_markdown(summary) -> str:
    summary = _summary(summary)
    vms = _vms(summary)
    counts = _counts(summary, vms)
    totals = ", ".join(f"{_md(count)} {_md(outcome)}" for outcome, count in counts.items()) or "no VM"
    lines = [
        f"## Failback to AVS - vault {_md(_vault(summary))}",
        "",
        f"**{len(vms)} VMs:** {totals}"
        + (" - **check mode: nothing was changed**" if summary.get("check_mode") else ""),
        "",
        (
            f"Started {_md(_clock(_time(summary.get('started_at'))))}, finished"
            if summary.get("started_at")
            else "Finished"
        )
        + f" {_md(_clock(_time(summary.get('finished_at'))))}"
        + (f", AWX job {_md(summary.get('awx_job_id'))}" if summary.get("awx_job_id") else ""),
        "",
        "| VM | Plan | Outcome | Recovery point | Data loss | RTO | Jobs (failover / commit / reprotect) |",
        "|---|---|---|---|---:|---:|---|",
    ]
    for vm in vms:
        jobs = vm.get("jobs") if isinstance(vm.get("jobs"), dict) else {}
        job_cells = " / ".join(_md(jobs.get(kind) or "-") for kind in ("failover", "commit", "reprotect"))
        point = _clock(_time(vm.get("recovery_point"))) if vm.get("recovery_point") else "-"
        lines.append(
            f"| {_md(vm.get('vm'))} | {_md(vm.get('recovery_plan') or '-')} | {_md(vm.get('outcome') or 'unknown')} |"
            f" {_md(point)} | {_md(_duration(vm.get('data_loss_seconds')))} | {_md(_duration(_rto(vm)))} |"
            f" {job_cells} |"
        )
    plans = _plan_rtos(vms)
    if plans:
        lines += [
            "",
            "**RTO per recovery plan:** "
            + ", ".join(f"{_md(plan['plan'])} {_md(_duration(plan['rto']))}" for plan in plans),
        ]
    action = [vm for vm in vms if _text(vm.get("outcome")) in NEEDS_STEPS]
    if action:
        lines += ["", "### Next steps", ""]
        for vm in action:
            why = f" - {_md(vm.get('message'))}" if vm.get("message") else ""
            lines.append(f"- **{_md(vm.get('vm'))}** ({_md(vm.get('outcome'))}){why}")
            if vm.get("next_steps"):
                lines.append(f"  - next: {_md(vm.get('next_steps'))}")
    return "\n".join(lines) + "\n"


class FilterModule:
    """The failback report filters."""

    def filters(self):
        return {
            "failback_report_html": failback_report_html,
            "failback_report_markdown": failback_report_markdown,
        }
