"""The failback playbook's input contract is the one source of what a run takes.

playbooks/vars/failback_inputs.yml is validated by the playbook itself; the AWX survey (examples/awx/
survey_failback.json) and the roles' own argument specs must agree with it. Each test here fails when one of them
drifts: regenerate the survey with `make awx-survey`, and change a role's spec and the contract together.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "hacking"))

import failback_inputs  # noqa: E402

CONTRACT = failback_inputs.load_contract()
RUN_OPTIONS = CONTRACT["failback_inputs_spec"]["options"]
HOST_OPTIONS = CONTRACT["failback_host_vars_spec"]["options"]
SURVEY = json.loads(failback_inputs.SURVEY.read_text())
PLAYS = yaml.safe_load((ROOT / "playbooks" / "failback.yml").read_text())
PLAYBOOK = PLAYS[0]
RUN_VARS = PLAYBOOK["vars"]
ROLES = ("preflight", "failback", "reprotect", "summary")
# AWX's survey types and the keys its API reads (awx/api/views: JobTemplateSurveySpec._validate_spec_data).
AWX_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}


def _role_options(role: str) -> dict:
    specs = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    return specs["argument_specs"]["main"]["options"]


def _wired_by_playbook() -> set[str]:
    """Role variables the playbook sets itself (include_role or import_role vars), so they are not inputs."""
    wired = set()
    for play in PLAYS:
        for task in play["tasks"]:
            if "ansible.builtin.include_role" in task or "ansible.builtin.import_role" in task:
                wired.update(task.get("vars", {}))
    return wired


def _includes(task: dict, role: str) -> bool:
    role_task = task.get("ansible.builtin.include_role") or task.get("ansible.builtin.import_role") or {}
    return role_task.get("name") == f"avsdr.site_recovery.{role}"


def test_the_committed_survey_is_what_the_contract_generates():
    assert failback_inputs.SURVEY.read_text() == failback_inputs.survey_json(CONTRACT), (
        "examples/awx/survey_failback.json is stale: run `make awx-survey`"
    )


def test_every_survey_question_matches_the_contract():
    asked = {question["variable"]: question for question in SURVEY["spec"]}
    assert set(asked) == {name for name, option in RUN_OPTIONS.items() if "survey" in option}
    for name, question in asked.items():
        option = RUN_OPTIONS[name]
        assert question["required"] == bool(option.get("required")), name
        kind = option.get("type", "str")
        if option.get("no_log"):
            assert question["type"] == "password" and "default" not in question, name
        elif option.get("choices") or kind == "bool":
            assert question["type"] == "multiplechoice", name
            expected = option.get("choices") or [True, False]
            assert question["choices"] == [
                str(choice).lower() if isinstance(choice, bool) else choice for choice in expected
            ]
        elif kind == "int":
            assert question["type"] == "integer", name
        else:
            assert kind == "str" and question["type"] in {"text", "textarea"}, name
        if "default" in option and not option.get("no_log"):
            default = option["default"]
            assert question["default"] == (str(default).lower() if isinstance(default, bool) else default), name


def test_the_survey_is_valid_for_awx():
    assert set(SURVEY) == {"name", "description", "spec"} and SURVEY["spec"]
    variables = [question["variable"] for question in SURVEY["spec"]]
    assert len(variables) == len(set(variables)), "a variable is asked twice"
    for question in SURVEY["spec"]:
        assert question["type"] in AWX_TYPES, question
        assert question["question_name"] and isinstance(question["required"], bool), question
        if question["type"] in {"multiplechoice", "multiselect"}:
            assert isinstance(question["choices"], list) and question["choices"], question
            assert question.get("default", question["choices"][0]) in question["choices"], question
        if question["type"] in {"text", "textarea", "password"}:
            assert 0 <= question["min"] <= question["max"], question
            default = question.get("default", "")
            assert default == "" or question["min"] <= len(default) <= question["max"], question
        if question["type"] == "integer" and "default" in question:
            assert (
                question.get("min", question["default"])
                <= question["default"]
                <= question.get("max", question["default"])
            )
        if question["type"] == "password":
            assert "default" not in question, "a secret's default would be in the repository"


def test_secrets_become_password_questions_without_a_default():
    secret = {"type": "str", "no_log": True, "description": "A token.", "survey": {"question": "Token"}}
    assert failback_inputs.survey_question("token", secret)["type"] == "password"
    assert "default" not in failback_inputs.survey_question("token", secret)
    with pytest.raises(ValueError, match="must not have a default"):
        failback_inputs.survey_question("token", {**secret, "default": "s3cret"})
    assert not [
        name for name, option in {**RUN_OPTIONS, **HOST_OPTIONS}.items() if option.get("no_log") and "default" in option
    ]


def test_lists_are_not_survey_questions():
    with pytest.raises(ValueError, match="cannot be a survey question"):
        failback_inputs.survey_question("ports", {"type": "list", "elements": "int", "survey": {"question": "Ports"}})


def test_the_playbook_validates_its_inputs_against_the_contract_first():
    # the contract read once where it is read (validation, the summary's inputs), by a run_once include_vars: as a
    # play's vars file ansible-core would read it again for every host and task; the names the plays share are play
    # vars, parsed once with the playbook, for the same reason
    assert not [play["name"] for play in PLAYS if "vars_files" in play]
    assert all({**play["vars"], **RUN_VARS} == play["vars"] for play in PLAYS)
    read_contract = {"file": "vars/failback_inputs.yml"}
    summary = next(play for play in PLAYS if play["name"].startswith("Summary - one table"))
    for play in (PLAYS[0], summary):
        include = play["tasks"][0]
        assert include["ansible.builtin.include_vars"] == read_contract and include["run_once"] is True
    contract, first = PLAYBOOK["tasks"][1:3]
    # the contract is built once for the run, then every host is validated against it before anything else
    assert contract["ansible.builtin.set_fact"] == {"runbook_input_contract": "{{ runbook_input_spec }}"}
    assert contract["run_once"] is True
    assert "ansible.builtin.validate_argument_spec" in first
    assert first["ansible.builtin.validate_argument_spec"]["argument_spec"] == "{{ runbook_input_contract }}"
    spec_expression = RUN_VARS["runbook_input_spec"]
    assert "failback_inputs_spec.options" in spec_expression and "failback_host_vars_spec.options" in spec_expression
    assert "run_once" not in first, "inventory variables differ per host: every host is validated"


def test_every_input_is_documented_and_typed():
    for name, option in {**RUN_OPTIONS, **HOST_OPTIONS}.items():
        assert option.get("type") in {"str", "int", "bool", "list", "dict", "path"}, name
        assert option.get("description"), name
        assert not (option.get("required") and "default" in option), name
        assert "{{" not in json.dumps(option.get("default", "")), f"{name}: a default of the contract is a value"
    assert not set(RUN_OPTIONS) & set(HOST_OPTIONS)
    assert [name for name, option in RUN_OPTIONS.items() if option.get("required")] == [
        "asr_resource_group",
        "asr_vault_name",
    ], "only what every run needs is required (a --check rehearsal needs no process server)"


@pytest.mark.parametrize("role", ROLES)
def test_the_contract_agrees_with_the_roles(role):
    wired = _wired_by_playbook()
    contract = {**RUN_OPTIONS, **HOST_OPTIONS}
    for name, spec in _role_options(role).items():
        if name in wired or name == "summary_hosts":  # summary_hosts: the play's hosts, internal to the run
            continue
        assert name in contract, f"{role} reads {name}: add it to playbooks/vars/failback_inputs.yml"
        option = contract[name]
        for key in ("type", "elements", "choices"):
            assert option.get(key) == spec.get(key), f"{name}: {key} differs from roles/{role}"
        role_default = spec.get("default")
        if spec.get("required") and not option.get("required"):
            # Optional for the run, required by the role: the playbook includes the role only when it is set.
            include = next(task for play in PLAYS for task in play["tasks"] if _includes(task, role))
            assert any(name in condition for condition in include.get("when", [])), f"{name}: guard roles/{role}"
        elif isinstance(role_default, str) and "{{" in role_default:
            assert "default" not in option, f"{name}: the role computes its default"
        else:
            assert option.get("default") == role_default, f"{name}: default differs from roles/{role}"


def test_the_runbook_documents_every_survey_question():
    runbook = (ROOT / "docs" / "runbook.md").read_text()
    for question in SURVEY["spec"]:
        assert f"`{question['variable']}`" in runbook, question["variable"]


def test_the_docsite_page_lists_every_input():
    page = failback_inputs.inputs_rst(CONTRACT)
    for name in {**RUN_OPTIONS, **HOST_OPTIONS}:
        assert f"``{name}``" in page, name
