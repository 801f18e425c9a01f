"""python -m asr_emulator --scenario FILE --listen 127.0.0.1:8443 --state-dir DIR [--time-scale F]"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from pathlib import Path

import uvicorn

from .app import EmulatorApp, FaultReset
from .certs import ensure_certificates
from .clock import Clock
from .coupling import Coupling, NullCoupling
from .engine import Engine
from .identity import Identity, load_signing_key
from .scenario import ScenarioError, load
from .topology import Topology


class _QuietInjectedResets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], FaultReset))


def _parse_listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError("--listen takes HOST:PORT, e.g. 127.0.0.1:8443")
    return host.strip("[]"), int(port)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="asr_emulator", description=__doc__)
    parser.add_argument("--scenario", required=True, help="scenario YAML file")
    parser.add_argument("--listen", type=_parse_listen, default=("127.0.0.1", 8443), help="HOST:PORT (port 0: any)")
    parser.add_argument("--state-dir", required=True, type=Path, help="where ca.pem, state.json and keys live")
    parser.add_argument("--time-scale", type=float, default=None, help="real seconds per emulated second (default 1)")
    parser.add_argument("--vcenter-url")
    parser.add_argument("--vcenter-user")
    parser.add_argument("--vcenter-password")
    parser.add_argument("--vcenter-cafile")
    return parser.parse_args(argv)


def _coupling(args: argparse.Namespace, engine_holder: list[Engine], boot_minutes: float) -> Coupling:
    if not args.vcenter_url:
        return NullCoupling()
    from .vcenter_coupling import VCenterCoupling  # written by the vCenter emulator's owners

    return VCenterCoupling(
        args.vcenter_url,
        args.vcenter_user,
        args.vcenter_password,
        args.vcenter_cafile,
        lambda emulated_seconds: engine_holder[0].clock.real_seconds(emulated_seconds),
        boot_seconds=boot_minutes * 60,
    )


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, announce: str):
        super().__init__(config)
        self.announce = announce

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets=sockets)
        if not self.should_exit:
            print(self.announce, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        scenario = load(args.scenario)
    except ScenarioError as exc:
        print(f"asr-emulator: invalid scenario: {exc}", file=sys.stderr)
        return 2
    if args.time_scale is not None and args.time_scale <= 0:
        print("asr-emulator: --time-scale must be > 0", file=sys.stderr)
        return 2
    state_dir: Path = args.state_dir
    state_dir.mkdir(parents=True, exist_ok=True)
    _ca, server_cert, server_key = ensure_certificates(state_dir)
    topology = Topology(scenario)
    holder: list[Engine] = []
    engine = Engine(topology, Clock(), state_dir, NullCoupling())
    holder.append(engine)
    engine.coupling = _coupling(args, holder, scenario["timing"]["boot_minutes"])
    resumed = engine.load_or_build(args.time_scale)
    identity = Identity(topology, load_signing_key(state_dir), scenario["timing"]["token_lifetime_seconds"])
    app = EmulatorApp(engine, identity, scenario)

    host, port = args.listen
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this: without it the body, written after the headers, waits for the client's
    # delayed ACK (about 40 ms per response).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        print(f"asr-emulator: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    url_host = f"[{host}]" if family == socket.AF_INET6 else host
    config = uvicorn.Config(
        app,
        ssl_certfile=str(server_cert),
        ssl_keyfile=str(server_key),
        log_level="warning",
        access_log=False,
        date_header=False,  # the app writes Date from the emulated clock
        lifespan="on",
        http="h11",
        timeout_keep_alive=30,
        timeout_graceful_shutdown=1,
    )
    logging.getLogger("uvicorn.error").addFilter(_QuietInjectedResets())
    word = "resumed" if resumed else "fresh"
    print(f"asr-emulator: scenario {scenario['name']} ({word} state in {state_dir})", file=sys.stderr, flush=True)
    server = _Server(config, f"asr-emulator listening on https://{url_host}:{port}")
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
