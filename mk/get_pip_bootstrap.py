"""Offline stand-in for ansible-test's get-pip bootstrap script.

ansible-test downloads get-pip-<version>.py from its CI file host before it creates a virtualenv; only package
registries are reachable here. ansible-test first looks in ~/.ansible/test/cache/get_pip_<version>.py, where
`make` installs this file. It bootstraps pip with ensurepip *in a subprocess* (running ensurepip in-process sets
PIP_CONFIG_FILE=/dev/null, which drops the machine's pip configuration), then installs what it was asked for.
"""

import subprocess
import sys

DROPPED = {"--no-setuptools", "--no-wheel"}


def main() -> int:
    args = [arg for arg in sys.argv[1:] if arg not in DROPPED]
    subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], check=True,
                   stdout=subprocess.DEVNULL)
    return subprocess.run([sys.executable, "-m", "pip", "install", *args], check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
