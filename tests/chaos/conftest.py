"""The chaos matrix (``make chaos``): faults injected into the emulated estate, the collection's modules run against
it the way a playbook runs them (``ansible localhost -m``), each case's outcome asserted and put in one table.

Every case starts from the scenario (``POST /_emulator/reset``) and asserts, besides its outcome, the invariants of
issue 12: no duplicate submission (the emulator's per-VM operation counts) and no commit without a passed gate.
Timing goes through the emulator's faults and clock only.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "hacking"))

import proctree  # noqa: E402

VENV_BIN = REPO / ".venv" / "bin"
HARNESS = [str(VENV_BIN / "python"), str(REPO / "tests" / "emulators" / "harness" / "emulators.py")]
COLLECTIONS = REPO / ".cache" / "runbook" / "collections"
SCENARIO = REPO / "tests" / "emulators" / "scenarios" / "avs-demo.yml"
TABLE: list[dict] = []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_env(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            name, value = line[len("export ") :].split("=", 1)
            values[name] = shlex.split(value)[0] if value else ""
    return values


def _state(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


class Estate:
    """The emulators of the chaos run, their control API and a way to run the collection's modules."""

    # Real seconds per emulated second between the cases' own clock moves: a tenth of the harness's default (0.01),
    # so that the jobs that are not the point of a case (a failover under a transport fault) do not cost real time.
    # Nothing races the clock: what a case must catch running is held by a fault or by a frozen clock.
    time_scale = 0.001

    def __init__(self, directory: Path):
        self.directory = directory
        self.settings = {
            "ASR_TIME_SCALE": str(self.time_scale),
            "EMULATORS_DIR": str(directory),
            "ASR_EMULATOR_PORT": str(free_port()),
            "VCSIM_PORT": str(free_port()),
            "SCENARIO": str(SCENARIO),
            "INTEGRATION_CONFIG": str(directory / "integration_config.yml"),
        }
        self.env: dict[str, str] = {}

    # ---- lifecycle -------------------------------------------------------------------------------------------------
    def harness(self, command: str) -> None:
        subprocess.run([*HARNESS, command], check=True, env={**os.environ, **self.settings}, cwd=REPO)

    def up(self) -> None:
        self.harness("up")
        self.env = read_env(self.directory / "env.sh")

    def down(self) -> None:
        self.harness("down")

    def kill(self, service: str) -> None:
        """SIGKILL one emulator (``asr-emulator`` or ``vcsim``) by the pid its pid file names, as a crash would."""
        pid_text, started = (self.directory / f"{service}.pid").read_text().split()
        stat = Path(f"/proc/{pid_text}/stat").read_text()
        assert stat.rsplit(")", 1)[1].split()[19] == started, f"{service}: the pid file names another process"
        os.kill(int(pid_text), signal.SIGKILL)
        deadline = time.monotonic() + 30
        while Path(f"/proc/{pid_text}").exists() and "Z" not in _state(pid_text):
            assert time.monotonic() < deadline, f"{service} survived SIGKILL"
            time.sleep(0.05)

    # ---- control API -----------------------------------------------------------------------------------------------
    @property
    def control(self) -> str:
        return self.env["ASR_EMULATOR_URL"] + "/_emulator"

    def call(self, method: str, path: str, body=None):
        response = requests.request(
            method, f"{self.control}/{path}", json=body, verify=self.env["REQUESTS_CA_BUNDLE"], timeout=60
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def reset(self) -> None:
        self.call("POST", "reset")
        self.call("DELETE", "faults")

    def fault(self, **fault) -> None:
        self.call("POST", "faults", fault)

    def state(self) -> dict:
        return self.call("GET", "state")

    def metrics(self) -> dict:
        return self.call("GET", "metrics")

    def operations(self, vm: str) -> dict:
        return self.metrics()["operations"].get(vm, {})

    def stage(self, vm: str) -> str:
        return self.state()["items"][vm]["stage"]

    # ---- the collection's modules ----------------------------------------------------------------------------------
    def module_command(self, module: str, args: dict, check: bool = False) -> tuple[list[str], dict]:
        args = {
            "resource_group": self.env["ASR_RESOURCE_GROUP"],
            "vault_name": self.env["ASR_VAULT_NAME"],
            **args,
        }
        command = [
            str(VENV_BIN / "ansible"),
            "localhost",
            "-m",
            f"avsdr.site_recovery.{module}",
            "-a",
            json.dumps(args),
        ]
        if check:
            command.append("--check")
        return command, self.run_env()

    def run_env(self) -> dict[str, str]:
        """The environment of an ansible run against the estate: its credentials, the collection, plain output."""
        return {
            **os.environ,
            **self.env,
            "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}",
            "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
            "ANSIBLE_STDOUT_CALLBACK": "minimal",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "AZURE_DISABLE_INSTANCE_DISCOVERY": "true",
        }

    def run(self, module: str, args: dict, check: bool = False) -> dict:
        command, env = self.module_command(module, args, check)
        completed = subprocess.run(command, env=env, capture_output=True, text=True, cwd=REPO, timeout=600, check=False)
        return parse_result(completed.stdout, completed.stderr)

    def start(self, module: str, args: dict) -> subprocess.Popen:
        command, env = self.module_command(module, args)
        return subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            start_new_session=True,  # a session of its own: killing it (kill_run) never touches pytest
        )

    # ---- the runbook playbook ---------------------------------------------------------------------------------------
    def playbook_command(self, limit: str, summary: Path, **extra_vars) -> tuple[list[str], dict]:
        """``ansible-playbook avsdr.site_recovery.failback`` on the avs-demo inventory, as an operator runs it; its
        summary goes to ``summary`` (JSON). The jobs are polled every second (the defaults are 30 s)."""
        extra = {
            "failback_poll_interval": 1,
            "reprotect_poll_interval": 1,
            "summary_report_file": str(summary),
            **extra_vars,
        }
        command = [
            str(VENV_BIN / "ansible-playbook"),
            f"--inventory={REPO / 'inventory' / 'avs-demo.yml'}",
            f"--limit={limit}",
            "--forks=10",
            f"--extra-vars={json.dumps(extra)}",
            "avsdr.site_recovery.failback",
        ]
        env = {**self.run_env(), "ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_DISPLAY_SKIPPED_HOSTS": "false"}
        return command, env

    def start_playbook(self, limit: str, summary: Path, **extra_vars) -> subprocess.Popen:
        command, env = self.playbook_command(limit, summary, **extra_vars)
        with open(summary.with_suffix(".log"), "a") as log:  # the run writes to its own copy of the descriptor
            return subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, text=True, cwd=REPO, start_new_session=True
            )

    def run_playbook(self, limit: str, summary: Path, **extra_vars) -> tuple[int, dict, str]:
        """Run the playbook to its end: (exit code, the summary it wrote, its output)."""
        summary.unlink(missing_ok=True)
        running = self.start_playbook(limit, summary, **extra_vars)
        code = running.wait(timeout=900)
        output = summary.with_suffix(".log").read_text()
        report = json.loads(summary.read_text()) if summary.exists() else {}
        return code, report, output

    def kill_run(self, running: subprocess.Popen) -> None:
        """SIGKILL the run and everything it started, as a crash of the controller would. Not by its process group:
        ansible-core's workers call setsid(), so they and the modules they run would survive that and could still
        act; hacking/proctree.py freezes the whole tree, kills all of it and checks that none of it is left."""
        proctree.kill([running.pid])
        running.wait()

    def wait_for(self, predicate, what: str, timeout: float = 120.0) -> None:
        """Poll the emulator (not a race with a job: the job cannot finish while the clock is frozen)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.2)


def parse_result(stdout: str, stderr: str = "") -> dict:
    """The minimal callback's ``localhost | FAILED! => {...}``: the module's result as a dict."""
    try:
        result = json.loads(stdout[stdout.index("=> {") + 3 :])
    except ValueError as exc:
        raise AssertionError(f"no JSON result from ansible:\n{stdout}\n{stderr}") from exc
    result["failed"] = "| FAILED!" in stdout  # the minimal callback shows it there, not in the dict
    result["_output"] = stdout + stderr
    return result


@pytest.fixture(scope="session")
def estate():
    if not (COLLECTIONS / "ansible_collections" / "avsdr" / "site_recovery").exists():
        pytest.fail("run through `make chaos` (it links the collection into .cache/runbook/collections)")
    value = Estate(REPO / ".emulators" / "chaos")
    value.up()
    try:
        yield value
    finally:
        value.down()


@pytest.fixture
def case(estate, request):
    """Reset the estate, give the test a row of the table to fill, check the invariants after it."""
    estate.reset()
    row = {"case": request.node.callspec.id if hasattr(request.node, "callspec") else request.node.name}
    row.update(outcome="?", detail="")
    TABLE.append(row)
    yield row
    row.setdefault("passed", True)


def pytest_runtest_makereport(item, call):
    if call.when == "call" and call.excinfo is not None:
        for row in TABLE:
            if row["case"] in item.nodeid:
                row["passed"] = False
                row.setdefault("failure", str(call.excinfo.value).splitlines()[0][:80])


def pytest_terminal_summary(terminalreporter):
    if not TABLE:
        return
    write = terminalreporter.write_line
    write("")
    write("chaos matrix: each case's outcome")
    header = f"{'case':<60} {'outcome':<10} {'ok':<4} detail"
    write(header)
    write("-" * 120)
    for row in TABLE:
        ok = "yes" if row.get("passed") else "NO"
        detail = row.get("failure") if not row.get("passed") else row.get("detail", "")
        write(f"{row['case']:<60} {row['outcome']:<10} {ok:<4} {detail}"[:200])
    write(f"{len(TABLE)} cases, {sum(1 for row in TABLE if row.get('passed'))} as expected")
