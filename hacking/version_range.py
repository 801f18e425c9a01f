# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The versions the collection claims are the versions `make test` runs on.

    python hacking/version_range.py oldest-requirements
        the pins of the oldest environment: ansible-core at the lower bound of meta/runtime.yml's requires_ansible,
        every package of requirements.txt at its lower bound (`make oldest-venv` installs exactly these)
    python hacking/version_range.py check --python PYTHON --which oldest|newest
        fails when what PYTHON has installed is not the oldest (or newest) end of the claim, or when README.md
        states another range

The newest end is requirements-dev.txt: its ansible-core is the newest that runs on the CI's Python 3.11, and the
upper bound of requires_ansible must be the next minor version, so that the claim stops where the tests stop.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def requires_ansible(root: Path = ROOT) -> SpecifierSet:
    return SpecifierSet(yaml.safe_load((root / "meta" / "runtime.yml").read_text())["requires_ansible"])


def runtime_requirements(root: Path = ROOT) -> list[Requirement]:
    lines = (root / "requirements.txt").read_text().splitlines()
    return [Requirement(line.split("#")[0].strip()) for line in lines if line.split("#")[0].strip()]


def dev_pins(root: Path = ROOT) -> dict[str, Version]:
    pins = {}
    for line in (root / "requirements-dev.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s#]+)", line)
        if match:
            pins[_canonical(match.group(1))] = Version(match.group(2))
    return pins


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lower_bound(specifiers: SpecifierSet, what: str) -> Version:
    bounds = [Version(spec.version) for spec in specifiers if spec.operator == ">="]
    if len(bounds) != 1:
        raise ValueError(f"{what}: needs exactly one lower bound (>=), has {specifiers or 'none'}")
    return bounds[0]


def upper_bound(specifiers: SpecifierSet, what: str) -> Version:
    bounds = [Version(spec.version) for spec in specifiers if spec.operator == "<"]
    if len(bounds) != 1:
        raise ValueError(f"{what}: needs exactly one upper bound (<), has {specifiers or 'none'}")
    return bounds[0]


def oldest_requirements(root: Path = ROOT) -> list[str]:
    pins = [f"ansible-core=={lower_bound(requires_ansible(root), 'requires_ansible')}"]
    pins += [f"{req.name}=={lower_bound(req.specifier, req.name)}" for req in runtime_requirements(root)]
    return pins


def installed_versions(python: str, names: list[str]) -> dict[str, Version]:
    code = "import importlib.metadata as m, json, sys; print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    output = subprocess.run([python, "-c", code, *names], check=True, capture_output=True, text=True).stdout
    return {_canonical(name): Version(version) for name, version in json.loads(output).items()}


def problems(python: str, which: str, root: Path = ROOT) -> list[str]:
    found = []
    claim = requires_ansible(root)
    requirements = runtime_requirements(root)
    installed = installed_versions(python, ["ansible-core"] + [req.name for req in requirements])
    core = installed["ansible-core"]
    if which == "oldest":
        expected = {_canonical(pin.split("==")[0]): Version(pin.split("==")[1]) for pin in oldest_requirements(root)}
        for name, version in expected.items():
            if installed[name] != version:
                found.append(f"{name} {installed[name]} is installed, the claimed lower bound is {version}")
    else:
        pins = dev_pins(root)
        if core != pins["ansible-core"]:
            found.append(f"ansible-core {core} is installed, requirements-dev.txt pins {pins['ansible-core']}")
        if core not in claim:
            found.append(f"ansible-core {core}, the newest tested, is outside requires_ansible {claim}")
        next_minor = Version(f"{core.major}.{core.minor + 1}.0")
        if upper_bound(claim, "requires_ansible") != next_minor:
            found.append(f"requires_ansible {claim} must end at <{next_minor}: the newest tested is {core}")
        for req in requirements:
            if installed[_canonical(req.name)] not in req.specifier:
                found.append(f"{req.name} {installed[_canonical(req.name)]} (tested) is outside requirements.txt")
    readme = (root / "README.md").read_text()
    stated = f'`requires_ansible: "{yaml.safe_load((root / "meta" / "runtime.yml").read_text())["requires_ansible"]}"`'
    if stated not in readme:
        found.append(f"README.md does not state the claimed range as {stated}")
    for version in (lower_bound(claim, "requires_ansible"), dev_pins(root)["ansible-core"]):
        if f"ansible-core {version}" not in readme:
            found.append(f"README.md does not name the tested ansible-core {version}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("oldest-requirements")
    check = sub.add_parser("check")
    check.add_argument("--python", required=True)
    check.add_argument("--which", choices=["oldest", "newest"], required=True)
    args = parser.parse_args(argv)
    if args.command == "oldest-requirements":
        print("\n".join(oldest_requirements()))
        return 0
    found = problems(args.python, args.which)
    for problem in found:
        print(f"version range: {problem}", file=sys.stderr)
    if not found:
        print(f"version range: the {args.which} end of the claim is what {args.python} runs")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
