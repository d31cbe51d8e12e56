"""docker-compose.yml runs the processes of the Procfile, so `make run` and compose agree."""

import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _procfile() -> dict[str, list[str]]:
    processes = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = shlex.split(command)
    return processes


def test_compose_runs_the_procfile_commands():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for name, command in _procfile().items():
        # Inside a container the web server listens on all interfaces, port 8000.
        expected = [arg.replace("127.0.0.1:${PORT}", "0.0.0.0:8000") for arg in command]
        assert services[name]["command"] == expected, name


def test_compose_names_every_service_with_health_checks_and_volumes():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "worker", "beat"}
    for name in ("db", "redis", "web"):
        assert "healthcheck" in services[name], name
    assert set(compose["volumes"]) == {"pgdata", "redisdata"}
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }
