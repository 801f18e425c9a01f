"""The execution environment definition: `ansible-builder create` writes a build context that installs this
collection from its built artifact, its Python requirements and system packages, on the tested ansible-core.
No container runtime is needed; building the image from the context is `podman build` (docs/awx.md)."""

from __future__ import annotations

import re
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, tool


@pytest.fixture(scope="module")
def context(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ee") / "context"
    subprocess.run(
        [
            tool("ansible-builder"),
            "create",
            "--file",
            "execution-environment.yml",
            "--context",
            str(path),
            "--output-filename",
            "Containerfile",
        ],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    return path


@pytest.fixture(scope="module")
def definition() -> dict:
    return yaml.safe_load((ROOT / "execution-environment.yml").read_text())


def _dev_pin(name: str) -> str:
    match = re.search(rf"^{re.escape(name)}==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.MULTILINE)
    assert match, name
    return match.group(1)


def _stage(containerfile: str, name: str) -> str:
    return containerfile.split(f" AS {name}\n", 1)[1].split("\nFROM ", 1)[0]


def test_the_definition_is_schema_3_and_names_the_current_artifact(definition, galaxy):
    assert definition["version"] == 3
    collections = definition["dependencies"]["galaxy"]["collections"]
    assert collections == [{"name": f"collections/avsdr-site_recovery-{galaxy['version']}.tar.gz", "type": "file"}]
    assert definition["additional_build_files"] == [
        {"src": f"build/avsdr-site_recovery-{galaxy['version']}.tar.gz", "dest": "collections"}
    ]


def test_the_context_holds_the_built_artifact(context, artifact):
    copied = context / "_build" / "collections" / artifact.name
    assert copied.read_bytes() == artifact.read_bytes()
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert requirements == {"collections": [{"name": f"collections/{artifact.name}", "type": "file"}]}
    with tarfile.open(copied) as tar:
        ee_meta = yaml.safe_load(tar.extractfile("meta/execution-environment.yml"))
    assert ee_meta["dependencies"] == {"python": "requirements.txt", "system": "bindep.txt"}


def test_the_context_holds_the_python_and_system_requirements(context):
    assert (context / "_build" / "requirements.txt").read_text() == (ROOT / "requirements.txt").read_text()
    assert (context / "_build" / "bindep.txt").read_text() == (ROOT / "bindep.txt").read_text()


def test_the_containerfile_installs_the_collection_on_the_tested_ansible_core(context):
    containerfile = (context / "Containerfile").read_text()
    refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="([^"]*)"', containerfile, re.MULTILINE).group(1).split()
    assert refs == [f"ansible-core=={_dev_pin('ansible-core')}", f"ansible-runner=={_dev_pin('ansible-runner')}"]
    galaxy_stage = _stage(containerfile, "galaxy")
    # requirements.yml names the artifact relative to /build, where the stage copies _build/ and installs from.
    assert galaxy_stage.index("COPY _build /build") < galaxy_stage.index("WORKDIR /build")
    assert galaxy_stage.index("WORKDIR /build") < galaxy_stage.index("ansible-galaxy collection install")
    builder_stage = _stage(containerfile, "builder")
    assert "COPY _build/requirements.txt requirements.txt" in builder_stage
    assert "--user-pip=requirements.txt --user-bindep=bindep.txt" in builder_stage
    final_stage = containerfile.split(" AS final\n", 1)[1]
    assert "COPY --from=galaxy /usr/share/ansible /usr/share/ansible" in final_stage
    assert "install-from-bindep" in final_stage
