# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is generated from the failback playbook's input contract (playbooks/vars/failback_inputs.yml).

    python hacking/failback_inputs.py survey [--output FILE]   the AWX survey spec (JSON)
    python hacking/failback_inputs.py rst --output FILE         the docsite page of the inputs (reStructuredText)

`make awx-survey` writes examples/awx/survey_failback.json with the first; tests/unit/playbooks/ fails when that
file is not what the contract generates now.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "playbooks" / "vars" / "failback_inputs.yml"
SURVEY = ROOT / "examples" / "awx" / "survey_failback.json"

SURVEY_NAME = "AVS failback"
SURVEY_DESCRIPTION = (
    "Fail VMs back from Azure to AVS, verify, commit and reprotect "
    "(generated from playbooks/vars/failback_inputs.yml: make awx-survey)"
)
TEXT_MAX = 1024
_MARKUP = re.compile(r"\b([CVO])\(([^)]*)\)")


def load_contract(path: Path = CONTRACT) -> dict:
    """The contract file: failback_inputs_spec (extra vars) and failback_host_vars_spec (inventory variables)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _paragraphs(description) -> list[str]:
    if description is None:
        return []
    return [description] if isinstance(description, str) else list(description)


def plain(description) -> str:
    """A description as plain text (AWX shows question descriptions as they are)."""
    return " ".join(_MARKUP.sub(r"\2", text) for text in _paragraphs(description))


def _rst_inline(text: str) -> str:
    return _MARKUP.sub(lambda match: f"``{match.group(2)}``", text)


def survey_question(variable: str, option: dict) -> dict:
    """One AWX survey question for one option of the contract."""
    hints = option["survey"]
    if not isinstance(hints, dict) or not hints.get("question"):
        raise ValueError(f"{variable}: `survey` needs a `question`")
    kind = option.get("type", "str")
    question = {
        "question_name": hints["question"],
        "question_description": plain(option.get("description")),
        "variable": variable,
        "required": bool(option.get("required", False)),
    }
    if option.get("no_log"):
        # A secret: AWX stores the answer encrypted; a default would put the secret in the repository.
        if "default" in option:
            raise ValueError(f"{variable}: a no_log input must not have a default")
        question.update(type="password", min=hints.get("min", 0), max=hints.get("max", TEXT_MAX))
        return question
    if option.get("choices") or kind == "bool":
        choices = [str(choice) for choice in option.get("choices", [])] or ["true", "false"]
        question.update(type="multiplechoice", choices=choices)
        if "default" in option:
            default = option["default"]
            question["default"] = str(default).lower() if isinstance(default, bool) else str(default)
        return question
    if kind == "int":
        question["type"] = "integer"
        question.update({key: hints[key] for key in ("min", "max") if key in hints})
        if "default" in option:
            question["default"] = option["default"]
        return question
    if kind in ("str", "path", "raw"):
        question.update(type="text", min=hints.get("min", 0), max=hints.get("max", TEXT_MAX))
        question["default"] = option.get("default", "")
        return question
    raise ValueError(f"{variable}: a {kind} input cannot be a survey question (set it in the inventory instead)")


def survey_spec(contract: dict) -> dict:
    """The AWX survey spec (POST /api/v2/job_templates/<id>/survey_spec/) of the extra vars that have `survey`."""
    options = contract["failback_inputs_spec"]["options"]
    return {
        "name": SURVEY_NAME,
        "description": SURVEY_DESCRIPTION,
        "spec": [survey_question(name, option) for name, option in options.items() if "survey" in option],
    }


def survey_json(contract: dict) -> str:
    return json.dumps(survey_spec(contract), indent=2) + "\n"


def _default_text(option: dict) -> str:
    if option.get("required"):
        return "required"
    if "default" not in option:
        return ""
    default = option["default"]
    if default == "":
        return '``""``'
    return f"``{json.dumps(default)}``" if not isinstance(default, str) else f"``{default}``"


def _option_rows(options: dict, with_survey: bool) -> list[list[str]]:
    rows = []
    for name, option in options.items():
        kind = option.get("type", "str")
        if option.get("elements"):
            kind = f"{kind} of {option['elements']}"
        description = " ".join(_rst_inline(text) for text in _paragraphs(option.get("description")))
        if option.get("choices"):
            description += (
                " Choices: " + ", ".join(f"``{choice}``" if choice else '``""``' for choice in option["choices"]) + "."
            )
        row = [f"``{name}``", kind, _default_text(option), description]
        if with_survey:
            row.append(option["survey"]["question"] if "survey" in option else "")
        rows.append(row)
    return rows


def _list_table(header: list[str], rows: list[list[str]], widths: str) -> list[str]:
    lines = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in [header, *rows]:
        for index, cell in enumerate(row):
            lines.append(f"   {'*' if index == 0 else ' '} - {cell}".rstrip())
    return [*lines, ""]


def inputs_rst(contract: dict) -> str:
    """The docsite page of the playbook's inputs."""
    run = contract["failback_inputs_spec"]
    host = contract["failback_host_vars_spec"]
    title = "Inputs of the failback playbook"
    lines = [
        ".. _ansible_collections.avsdr.site_recovery.docsite.failback_inputs:",
        "",
        title,
        "=" * len(title),
        "",
        "``avsdr.site_recovery.failback`` (``playbooks/failback.yml``) validates every run against its input "
        "contract, ``playbooks/vars/failback_inputs.yml``, before anything else; this page and the AWX survey "
        "(``examples/awx/survey_failback.json``) are generated from that file. Credentials are not inputs: the "
        "modules read the ``AZURE_*`` and ``VMWARE_*`` environment variables.",
        "",
        "Extra vars",
        "----------",
        "",
        _rst_inline(run["short_description"]) + ".",
        "",
        *_list_table(
            ["variable", "type", "default", "meaning", "AWX survey question"],
            _option_rows(run["options"], with_survey=True),
            "20 8 10 42 20",
        ),
        "Inventory host variables",
        "------------------------",
        "",
        _rst_inline(host["short_description"]) + ".",
        "",
        *_list_table(["variable", "type", "default", "meaning"], _option_rows(host["options"], False), "20 8 10 62"),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["survey", "rst"])
    parser.add_argument("--output", type=Path, help="write here instead of standard output")
    args = parser.parse_args(argv)
    contract = load_contract()
    text = survey_json(contract) if args.what == "survey" else inputs_rst(contract)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
