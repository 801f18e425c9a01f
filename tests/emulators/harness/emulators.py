"""Bring the emulated estate up or down: vcsim (AVS vCenter) and the ASR emulator, coupled, on loopback.

    .venv/bin/python tests/emulators/harness/emulators.py up|down|status

`up` starts whatever is not running yet (vcsim first, seeded from the scenario, then the ASR emulator pointed at
it), waits until both answer, and writes `$EMULATORS_DIR/env.sh`, `$EMULATORS_DIR/ca-bundle.pem` and
`tests/integration/integration_config.yml`. Running it again only rewrites those files. `down` stops exactly the
processes `up` started, by the pids recorded in `$EMULATORS_DIR/*.pid`.

Settings come from the environment: EMULATORS_DIR (.emulators), SCENARIO (tests/emulators/scenarios/avs-demo.yml),
ASR_EMULATOR_PORT (8443), VCSIM_PORT (8989), ASR_TIME_SCALE (0.01), VCSIM_BIN (default: `vcsim` on PATH, else
build/vcsim/vcsim), INTEGRATION_CONFIG (tests/integration/integration_config.yml), EMULATORS_PYTHON (the Python
that runs the ASR emulator; default: this one).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
EMULATORS = REPO / "tests" / "emulators"
sys.path[:0] = [str(EMULATORS / "asr"), str(EMULATORS / "vcsim")]

import seed as vcsim_seed  # noqa: E402
import yaml  # noqa: E402

from asr_emulator import certs  # noqa: E402
from asr_emulator import scenario as scenario_file  # noqa: E402
from asr_emulator.vcenter_coupling import connect, disconnect  # noqa: E402

SYSTEM_CA_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")
STARTUP_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 5.0
STATE_FILE = "state.json"  # the ASR emulator's saved state in its --state-dir


class HarnessError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    directory: Path
    scenario_path: Path
    asr_port: int
    vcsim_port: int
    time_scale: float
    vcsim_bin: str
    integration_config: Path
    python: str

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def path(name: str, default: str) -> Path:
            value = Path(env.get(name) or default)
            return value if value.is_absolute() else (Path.cwd() / value).resolve()

        return cls(
            directory=path("EMULATORS_DIR", ".emulators"),
            scenario_path=path("SCENARIO", str(EMULATORS / "scenarios" / "avs-demo.yml")),
            asr_port=int(env.get("ASR_EMULATOR_PORT") or 8443),
            vcsim_port=int(env.get("VCSIM_PORT") or 8989),
            time_scale=float(env.get("ASR_TIME_SCALE") or 0.01),
            vcsim_bin=env.get("VCSIM_BIN") or find_vcsim(),
            integration_config=path(
                "INTEGRATION_CONFIG", str(REPO / "tests" / "integration" / "integration_config.yml")
            ),
            python=env.get("EMULATORS_PYTHON") or sys.executable,
        )

    @property
    def vcsim_dir(self) -> Path:
        return self.directory / "vcsim"

    @property
    def asr_dir(self) -> Path:
        return self.directory / "asr"

    @property
    def vcsim_url(self) -> str:
        return f"https://127.0.0.1:{self.vcsim_port}/sdk"

    @property
    def asr_url(self) -> str:
        return f"https://127.0.0.1:{self.asr_port}"

    @property
    def ca_bundle(self) -> Path:
        return self.directory / "ca-bundle.pem"

    @property
    def env_file(self) -> Path:
        return self.directory / "env.sh"


def find_vcsim() -> str:
    """A `vcsim` on PATH wins over ours (built by `make vcsim` into build/vcsim/)."""
    return shutil.which("vcsim") or str(REPO / "build" / "vcsim" / "vcsim")


# ---- processes we started: pid files hold "pid start-time" so a recycled pid is never mistaken for ours ----------
def _start_time(pid: int) -> str | None:
    """The process's start time (clock ticks since boot), or None when it is gone or a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    if fields[0] in ("Z", "X"):
        _reap(pid)
        return None
    return fields[19]  # field 22 (starttime), counted after the command name


@dataclass(frozen=True)
class Service:
    name: str
    pid_file: Path
    log_file: Path

    def running_pid(self) -> int | None:
        try:
            pid_text, started = self.pid_file.read_text().split()
        except (OSError, ValueError):
            return None
        pid = int(pid_text)
        return pid if _start_time(pid) == started else None

    def record(self, pid: int) -> None:
        started = _start_time(pid)
        if started is None:
            raise HarnessError(
                f"{self.name} exited right after starting; last lines of {self.log_file}:\n{self.log_tail()}"
            )
        self.pid_file.write_text(f"{pid} {started}\n")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def start(self, argv: list[str], env: dict[str, str] | None = None) -> int:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log, open(os.devnull, "rb") as devnull:
            process = subprocess.Popen(
                argv,
                stdin=devnull,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=REPO,
                start_new_session=True,  # like nohup: survives the make that started it
            )
        time.sleep(0.05)
        self.record(process.pid)
        return process.pid

    def stop(self) -> bool:
        """Stop the process this pid file names, if it is still ours. Returns whether one was running."""
        pid = self.running_pid()
        if pid is not None:
            # SIGKILL only when SIGTERM is not enough: uvicorn can linger over a client's idle TLS connection.
            for sig, grace in ((signal.SIGTERM, STOP_TIMEOUT_SECONDS), (signal.SIGKILL, STOP_TIMEOUT_SECONDS)):
                os.kill(pid, sig)
                if _wait_gone(pid, grace):
                    break
        self.pid_file.unlink(missing_ok=True)
        return pid is not None


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _start_time(pid) is not None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _reap(pid: int) -> None:
    """Collect the exit status when the stopped process is our own child (tests start `up` in-process)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def services(settings: Settings) -> tuple[Service, Service]:
    return (
        Service("vcsim", settings.directory / "vcsim.pid", settings.vcsim_dir / "vcsim.log"),
        Service("asr-emulator", settings.directory / "asr-emulator.pid", settings.asr_dir / "asr-emulator.log"),
    )


# ---- readiness ------------------------------------------------------------------------------------------------------
def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def answers(url: str, cafile: Path) -> bool:
    try:
        context = ssl.create_default_context(cafile=str(cafile))
        with urllib.request.urlopen(url, context=context, timeout=5) as response:
            return response.status == 200
    except (OSError, ssl.SSLError, urllib.error.URLError):
        return False


def wait_until(service: Service, ready: Callable[[], bool], timeout: float = STARTUP_TIMEOUT_SECONDS) -> None:
    """Wait for `ready`; if it never comes, stop the process (so that a retry starts clean) and show its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if service.running_pid() is None:
            problem = "exited during startup"
            break
        time.sleep(0.1)
    else:
        problem = f"did not answer within {timeout:.0f} s"
    service.stop()
    raise HarnessError(f"{service.name} {problem}; last lines of {service.log_file}:\n{service.log_tail()}")


# ---- the two emulators ----------------------------------------------------------------------------------------------
def vcsim_answers(settings: Settings) -> bool:
    return answers(f"https://127.0.0.1:{settings.vcsim_port}/about", settings.vcsim_dir / certs.CA_FILE)


def asr_answers(settings: Settings) -> bool:
    return answers(f"{settings.asr_url}/_emulator/state", settings.asr_dir / certs.CA_FILE)


def vcsim_boot_time(settings: Settings, scenario: dict | None = None) -> str:
    """How long a guest powered on through vCenter takes to boot before its VMware Tools run, in real seconds: the
    scenario's `timing.boot_minutes` at the ASR emulator's time scale (the same emulated boot the emulator assumes)."""
    scenario = scenario or scenario_file.load(settings.scenario_path)
    seconds = float(scenario["timing"]["boot_minutes"]) * 60 * settings.time_scale
    return f"{seconds:.3f}s"


def start_vcsim(settings: Settings, service: Service, avs: dict[str, str]) -> None:
    if not Path(settings.vcsim_bin).exists():
        raise HarnessError(f"no vcsim binary at {settings.vcsim_bin}: run `make vcsim` (or put vcsim on PATH)")
    if port_in_use(settings.vcsim_port):
        raise HarnessError(f"port {settings.vcsim_port} is taken by another process: set VCSIM_PORT")
    settings.vcsim_dir.mkdir(parents=True, exist_ok=True)
    _, cert, key = certs.ensure_certificates(settings.vcsim_dir)
    # A fresh vcsim has an empty inventory: VM folders left in the datastore by an earlier run would collide.
    shutil.rmtree(settings.vcsim_dir / "datastore", ignore_errors=True)
    # -E: the URL line goes to a private file, not the log (upstream vcsim's line carries the credentials).
    url_file = settings.vcsim_dir / "url.env"
    url_file.touch(mode=0o600)
    service.start(
        [
            settings.vcsim_bin,
            "-l",
            f"127.0.0.1:{settings.vcsim_port}",
            "-username",
            avs["username"],
            "-password",
            avs["password"],
            "-tlscert",
            str(cert),
            "-tlskey",
            str(key),
            "-dc",
            "0",
            "-E",
            str(url_file),
        ],
        # Read by our vcsim only (an upstream one ignores it): see tests/emulators/vcsim/toolsboot.go.
        env={**os.environ, "VCSIM_BOOT_TIME": vcsim_boot_time(settings)},
    )
    wait_until(service, lambda: vcsim_answers(settings))


def seed_vcsim(settings: Settings, scenario: dict, avs: dict[str, str], stages: dict[str, str] | None = None) -> dict:
    service_instance = connect(
        settings.vcsim_url, avs["username"], avs["password"], str(settings.vcsim_dir / certs.CA_FILE)
    )
    try:
        return vcsim_seed.seed(service_instance, scenario, settings.vcsim_dir / "datastore", stages=stages)
    finally:
        disconnect(service_instance)


def asr_stages(settings: Settings) -> dict[str, str]:
    """VM name -> stage, as the running ASR emulator has them (GET /_emulator/state)."""
    context = ssl.create_default_context(cafile=str(settings.asr_dir / certs.CA_FILE))
    with urllib.request.urlopen(f"{settings.asr_url}/_emulator/state", context=context, timeout=10) as response:
        state = json.load(response)
    return {vm: item["stage"] for vm, item in state.get("items", {}).items()}


def start_asr(settings: Settings, service: Service, avs: dict[str, str]) -> None:
    if port_in_use(settings.asr_port):
        raise HarnessError(f"port {settings.asr_port} is taken by another process: set ASR_EMULATOR_PORT")
    settings.asr_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(EMULATORS / "asr"), os.environ.get("PYTHONPATH")])),
    }
    service.start(
        [
            settings.python,
            "-m",
            "asr_emulator",
            "--scenario",
            str(settings.scenario_path),
            "--listen",
            f"127.0.0.1:{settings.asr_port}",
            "--state-dir",
            str(settings.asr_dir),
            "--time-scale",
            str(settings.time_scale),
            "--vcenter-url",
            settings.vcsim_url,
            "--vcenter-user",
            avs["username"],
            "--vcenter-password",
            avs["password"],
            "--vcenter-cafile",
            str(settings.vcsim_dir / certs.CA_FILE),
        ],
        env=env,
    )
    wait_until(service, lambda: (settings.asr_dir / certs.CA_FILE).exists() and asr_answers(settings))


# ---- what clients read ----------------------------------------------------------------------------------------------
def write_ca_bundle(settings: Settings) -> Path:
    """System CAs plus both emulators' CAs, so that clients trusting it still reach real HTTPS services."""
    system = next((Path(p) for p in SYSTEM_CA_BUNDLES if Path(p).exists()), None)
    if system is None:
        import certifi

        system = Path(certifi.where())
    parts = [
        system.read_text(),
        (settings.asr_dir / certs.CA_FILE).read_text(),
        (settings.vcsim_dir / certs.CA_FILE).read_text(),
    ]
    _write_atomic(settings.ca_bundle, "".join(part if part.endswith("\n") else part + "\n" for part in parts))
    return settings.ca_bundle


def client_settings(settings: Settings, scenario: dict, avs: dict[str, str]) -> dict[str, str]:
    principal = next((p for p in scenario["principals"] if p.get("access") and "secret" in p), None)
    if principal is None:
        raise HarnessError(f"{settings.scenario_path}: no principal with a secret and vault access")
    return {
        "AZURE_SUBSCRIPTION_ID": scenario["subscription_id"],
        "AZURE_TENANT": scenario["tenant_id"],
        "AZURE_CLIENT_ID": principal["client_id"],
        "AZURE_SECRET": principal["secret"],
        "AZURE_CLOUD_ENVIRONMENT": settings.asr_url,
        # The emulator is its own authority: MSAL must not ask Microsoft's instance-discovery endpoint about it.
        "AZURE_DISABLE_INSTANCE_DISCOVERY": "true",
        "REQUESTS_CA_BUNDLE": str(settings.ca_bundle),
        "VMWARE_HOST": "127.0.0.1",
        "VMWARE_PORT": str(settings.vcsim_port),
        "VMWARE_USER": avs["username"],
        "VMWARE_PASSWORD": avs["password"],
        "VMWARE_VALIDATE_CERTS": "true",
        "ASR_RESOURCE_GROUP": scenario["resource_group"],
        "ASR_VAULT_NAME": scenario["vault"],
        "ASR_EMULATOR_URL": settings.asr_url,
        "ASR_SCENARIO": str(settings.scenario_path),
        # The collection's token cache (docs/architecture.md) of the runs against this estate: in its own folder, not
        # the user's ~/.cache, so no token of one estate is ever offered to another.
        "XDG_CACHE_HOME": str(settings.directory / "cache"),
    }


INTEGRATION_NAMES = {"REQUESTS_CA_BUNDLE": "ca_bundle"}
NOT_FOR_INTEGRATION = {"ASR_SCENARIO", "XDG_CACHE_HOME"}


def integration_variables(values: dict[str, str]) -> dict[str, object]:
    variables: dict[str, object] = {}
    for name, value in values.items():
        if name in NOT_FOR_INTEGRATION:
            continue
        key = INTEGRATION_NAMES.get(name, name.lower())
        if name == "VMWARE_PORT":
            variables[key] = int(value)
        elif name in ("VMWARE_VALIDATE_CERTS", "AZURE_DISABLE_INSTANCE_DISCOVERY"):
            variables[key] = value == "true"
        else:
            variables[key] = value
    return variables


def _write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def write_client_files(settings: Settings, values: dict[str, str]) -> None:
    lines = ["# Written by `make emulators-up`: source it to point clients at the emulated Azure + AVS."]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in values.items()]
    _write_atomic(settings.env_file, "\n".join(lines) + "\n", mode=0o600)
    header = (
        "# Written by `make emulators-up` (tests/emulators/harness/emulators.py): the emulated estate's endpoints.\n"
    )
    body = yaml.safe_dump(integration_variables(values), sort_keys=False, default_flow_style=False)
    _write_atomic(settings.integration_config, header + body, mode=0o600)


# ---- commands -------------------------------------------------------------------------------------------------------
def up(settings: Settings, log: Callable[[str], None] = print) -> dict[str, str]:
    scenario = scenario_file.load(settings.scenario_path)
    avs = vcsim_seed.avs_settings(scenario)
    settings.directory.mkdir(parents=True, exist_ok=True)
    vcsim, asr = services(settings)
    scenario_record = settings.directory / "scenario"
    if vcsim.running_pid() or asr.running_pid():
        running = scenario_record.read_text().strip() if scenario_record.exists() else ""
        if running and running != str(settings.scenario_path):
            raise HarnessError(f"the emulators run scenario {running}; run `make emulators-down` to switch scenarios")
    scenario_record.write_text(f"{settings.scenario_path}\n")
    fresh_vcenter = vcsim.running_pid() is None
    if fresh_vcenter:
        start_vcsim(settings, vcsim, avs)
        # An ASR emulator that kept running has moved on from the scenario: vCenter follows its stages.
        stages = asr_stages(settings) if asr.running_pid() is not None and asr_answers(settings) else None
        summary = seed_vcsim(settings, scenario, avs, stages)
        log(f"vcsim: up on {settings.vcsim_url} (pid {vcsim.running_pid()}), seeded {len(summary['vms'])} VMs")
    elif not vcsim_answers(settings):
        raise HarnessError(f"vcsim (pid {vcsim.running_pid()}) runs but does not answer; run `make emulators-down`")
    else:
        log(f"vcsim: already up on {settings.vcsim_url} (pid {vcsim.running_pid()})")
    if asr.running_pid() is None:
        if fresh_vcenter:
            # vCenter was just seeded from the scenario: the ASR side starts from it too, not from a saved state.
            (settings.asr_dir / STATE_FILE).unlink(missing_ok=True)
        start_asr(settings, asr, avs)
        log(f"asr-emulator: up on {settings.asr_url} (pid {asr.running_pid()})")
    elif not asr_answers(settings):
        raise HarnessError(
            f"asr-emulator (pid {asr.running_pid()}) runs but does not answer; run `make emulators-down`"
        )
    else:
        log(f"asr-emulator: already up on {settings.asr_url} (pid {asr.running_pid()})")
    write_ca_bundle(settings)
    values = client_settings(settings, scenario, avs)
    write_client_files(settings, values)
    log(f"wrote {settings.env_file} and {settings.integration_config}: `. {settings.env_file}`")
    return values


def down(settings: Settings, log: Callable[[str], None] = print) -> None:
    # The ASR emulator first, so that it does not retry side effects against a vcsim that is going away.
    for service in reversed(services(settings)):
        log(f"{service.name}: {'stopped' if service.stop() else 'was not running'}")


def status(settings: Settings, log: Callable[[str], None] = print) -> bool:
    all_up = True
    for service in services(settings):
        pid = service.running_pid()
        all_up &= pid is not None
        log(f"{service.name}: {f'running (pid {pid})' if pid else 'not running'}")
    return all_up


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("up", "down", "status"))
    args = parser.parse_args(argv)
    settings = Settings.from_environment()
    try:
        if args.command == "up":
            up(settings)
        elif args.command == "down":
            down(settings)
        else:
            status(settings)
    except (HarnessError, scenario_file.ScenarioError) as exc:
        print(f"emulators {args.command}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
