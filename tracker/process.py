"""The process list: the ``name: command`` lines of the Procfile, read by `make run` and Docker.

    python -m tracker.process web|worker|beat    replace this process with that command

A command's ``${NAME}`` words come from the environment: ``BIND_HOST`` and ``PORT`` say where
the web server listens (`make run` sets 127.0.0.1 and ``$PORT``, the image 0.0.0.0 and 8000).
docker-compose.yml runs its app services through this module, so the Procfile is the one place
their commands are written.
"""

from __future__ import annotations

import os
import shlex
import string
import sys
from collections.abc import Mapping
from pathlib import Path

PROCFILE = Path(__file__).resolve().parent.parent / "Procfile"


class ProcessError(Exception):
    """The process cannot be started; the message says why in one line."""


def procfile_read(path: Path = PROCFILE) -> dict[str, str]:
    """The process list, name to command line, in the Procfile's order."""
    processes = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = command.strip()
    return processes


def process_argv(name: str, env: Mapping[str, str], path: Path = PROCFILE) -> list[str]:
    """The argv of process ``name`` with its ``${VARIABLES}`` filled in from ``env``."""
    processes = procfile_read(path)
    if name not in processes:
        known = ", ".join(processes)
        raise ProcessError(f"no process {name!r} in the Procfile (there are {known})")
    try:
        return [string.Template(arg).substitute(env) for arg in shlex.split(processes[name])]
    except KeyError as missing:
        raise ProcessError(f"the {name} process needs {missing.args[0]} set") from None
    except ValueError as error:
        raise ProcessError(f"the {name} process has a malformed ${{...}}: {error}") from None


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        command = process_argv(argv[0], os.environ)
    except ProcessError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    # exec, not a child: the server gets the container's signals (docker stop) directly.
    os.execvp(command[0], command)  # noqa: S606 - the Procfile's own command, no shell
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
