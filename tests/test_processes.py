"""One process list (the Procfile) for `make run` and docker-compose.yml, and a compose stack and
image that hold together: read from the files, since Docker does not run here."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tracker.process import ProcessError, process_argv, procfile_read

ROOT = Path(__file__).resolve().parents[1]
APP_PROCESSES = ("web", "worker", "beat")
# Where `make run` binds (tracker/launch.py) and where the image does (Dockerfile, compose).
MAKE_RUN_ENV = {"BIND_HOST": "127.0.0.1", "PORT": "8123"}
CONTAINER_ENV = {"BIND_HOST": "0.0.0.0", "PORT": "8000"}  # noqa: S104 - inside a container


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (keyword.upper(), rest.strip())
        for keyword, _, rest in (line.partition(" ") for line in lines)
        if keyword and not keyword.startswith("#")
    ]


def _dockerfile_env() -> dict[str, str]:
    env = {}
    for keyword, rest in _dockerfile():
        if keyword == "ENV":
            env.update(pair.split("=", 1) for pair in rest.split())
    return env


# --- The process list -------------------------------------------------------------------------


def test_procfile_names_web_worker_and_beat_in_order():
    assert tuple(procfile_read()) == APP_PROCESSES


def test_make_run_binds_the_web_server_to_loopback_on_port():
    argv = process_argv("web", MAKE_RUN_ENV)
    assert argv[:2] == ["gunicorn", "tracker.wsgi"]
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8123"


def test_the_image_binds_the_web_server_to_all_interfaces_on_8000():
    env = _dockerfile_env()
    argv = process_argv("web", env)
    assert argv[argv.index("--bind") + 1] == "0.0.0.0:8000"


def test_worker_and_beat_commands_need_no_variables():
    assert process_argv("worker", {})[:4] == ["celery", "-A", "tracker", "worker"]
    assert process_argv("beat", {})[:4] == ["celery", "-A", "tracker", "beat"]


def test_a_missing_variable_is_refused_naming_it():
    with pytest.raises(ProcessError, match="the web process needs BIND_HOST set"):
        process_argv("web", {"PORT": "8000"})


def test_an_unknown_process_is_refused_naming_the_known_ones():
    with pytest.raises(ProcessError, match=r"no process 'flower' .*web, worker, beat"):
        process_argv("flower", CONTAINER_ENV)


def test_process_module_refuses_an_unknown_name_without_running_anything():
    result = subprocess.run(
        [sys.executable, "-m", "tracker.process", "flower"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert "error: no process 'flower' in the Procfile" in result.stderr


def test_make_run_serves_the_procfile_through_the_same_reader():
    source = (ROOT / "tracker" / "launch.py").read_text()
    assert "from tracker.process import" in source
    assert "process_argv(name, env) for name in procfile_read()" in source
    assert 'env["BIND_HOST"] = "127.0.0.1"' in source


# --- docker-compose.yml -----------------------------------------------------------------------


def test_compose_names_every_service(services):
    assert set(services) == {"db", "redis", "mailpit", "migrate", *APP_PROCESSES}


def test_each_app_service_runs_the_procfile_process_of_its_name(services):
    for name in APP_PROCESSES:
        assert services[name]["command"] == ["python", "-m", "tracker.process", name], name


def test_app_services_keep_the_image_layout_whatever_env_says(services):
    # environment wins over env_file (.env), whose PORT is the host's port and whose
    # STATIC_ROOT is `make run`'s.
    image = _dockerfile_env()
    for name in ("migrate", *APP_PROCESSES):
        environment = services[name]["environment"]
        for key in ("BIND_HOST", "PORT", "STATIC_ROOT"):
            assert environment[key] == image[key], (name, key)
    assert {k: image[k] for k in CONTAINER_ENV} == CONTAINER_ENV


def test_app_services_listen_where_the_web_port_and_health_check_expect(services):
    assert services["web"]["ports"] == ["127.0.0.1:${PORT:-8000}:8000"]
    assert "http://127.0.0.1:8000/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    # The health check's Host header must be allowed, whatever .env says.
    assert services["web"]["environment"]["ALLOWED_HOSTS"].endswith(",127.0.0.1")


def test_app_services_reach_the_compose_database_redis_and_mail_catcher(services):
    for name in ("migrate", *APP_PROCESSES):
        environment = services[name]["environment"]
        assert "@db:5432/" in environment["DATABASE_URL"], name
        assert environment["REDIS_URL"].startswith("redis://redis:6379/"), name
        assert environment["EMAIL_URL"] == "${EMAIL_URL:-smtp://mailpit:1025}", name
        assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?"), name
    assert "1025" not in str(services["mailpit"].get("ports")), "SMTP stays inside compose"
    assert services["mailpit"]["ports"] == ["127.0.0.1:8025:8025"]


def test_every_long_running_service_has_a_health_check_or_says_why_not(services):
    for name in ("db", "redis", "mailpit", "web", "worker"):
        test = services[name]["healthcheck"]["test"]
        assert test[0] in ("CMD", "CMD-SHELL"), name
        assert len(test) > 1, name
    # beat has nothing to ask; the compose file explains why above its `disable`.
    assert services["beat"]["healthcheck"] == {"disable": True}
    assert "No health check: beat" in (ROOT / "docker-compose.yml").read_text()
    assert "healthcheck" not in services["migrate"]


def test_worker_health_check_pings_its_own_node_by_the_procfile_name(services):
    argv = process_argv("worker", {})
    node = argv[argv.index("--hostname") + 1]
    # %h is the container's host name, $HOSTNAME in its shell ($$ escapes compose's own $).
    assert node == "worker@%h"
    check = services["worker"]["healthcheck"]["test"]
    assert check[0] == "CMD-SHELL"
    assert "celery -A tracker inspect ping --destination worker@$$HOSTNAME" in check[1]


def test_workers_scale_out_with_no_fixed_container_name_or_port(services):
    for name in ("worker", "beat"):
        assert "container_name" not in services[name], name
        assert "ports" not in services[name], name
    assert all("container_name" not in service for service in services.values())


def test_data_lives_in_named_volumes(compose, services):
    assert set(compose["volumes"]) == {"pgdata", "redisdata", "mailpitdata"}
    assert services["db"]["volumes"] == ["pgdata:/var/lib/postgresql/data"]
    assert services["redis"]["volumes"] == ["redisdata:/data"]
    assert services["mailpit"]["volumes"] == ["mailpitdata:/data"]


def test_long_running_services_restart_and_the_one_shot_migrate_does_not(services):
    for name in ("db", "redis", "mailpit", *APP_PROCESSES):
        assert services[name]["restart"] == "unless-stopped", name
    assert services["migrate"]["restart"] == "no"


def test_migrate_runs_after_db_and_redis_are_healthy_and_before_the_app(services):
    assert services["migrate"]["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    for name in APP_PROCESSES:
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }, name


def test_migrate_does_the_setup_steps_of_make_run(services):
    steps = " ".join(services["migrate"]["command"])
    for step in ("migrate --no-input", "seed", "ensure_admin"):
        assert f"python manage.py {step}" in steps
        assert f'"{step.split()[0]}"' in (ROOT / "tracker" / "launch.py").read_text()


def test_app_services_share_one_image_built_from_the_dockerfile(services):
    for name in ("migrate", *APP_PROCESSES):
        assert services[name]["build"] == ".", name
        assert services[name]["image"] == "vcwatch:latest", name


def test_env_example_lists_every_variable_compose_reads():
    text = (ROOT / "docker-compose.yml").read_text()
    read = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", text))
    listed = set(re.findall(r"^#? ?([A-Z_][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M))
    assert read, "the pattern finds the compose variables"
    assert read <= listed, read - listed


# --- Dockerfile and .dockerignore -------------------------------------------------------------


def test_dockerfile_installs_requirements_before_copying_the_code():
    instructions = _dockerfile()
    copy_requirements = instructions.index(("COPY", "requirements.txt ."))
    install = next(
        i for i, (k, rest) in enumerate(instructions) if k == "RUN" and "pip install" in rest
    )
    copy_all = instructions.index(("COPY", ". ."))
    assert copy_requirements < install < copy_all
    assert "-r requirements.txt" in instructions[install][1]


def test_dockerfile_collects_static_files_into_the_image():
    runs = [rest for keyword, rest in _dockerfile() if keyword == "RUN"]
    assert any("manage.py collectstatic --no-input" in rest for rest in runs)


def test_dockerfile_runs_as_a_non_root_user_after_the_build_steps():
    instructions = _dockerfile()
    users = [(i, rest) for i, (keyword, rest) in enumerate(instructions) if keyword == "USER"]
    assert len(users) == 1
    index, user = users[0]
    assert user not in ("root", "0")
    assert any(k == "RUN" and "useradd" in r and user in r for k, r in instructions[:index])
    assert all(keyword != "RUN" for keyword, _ in instructions[index:])


def test_dockerfile_default_command_is_a_procfile_process():
    cmd = [rest for keyword, rest in _dockerfile() if keyword == "CMD"]
    assert cmd == ['["python", "-m", "tracker.process", "web"]']
    assert (ROOT / "tracker" / "process.py").is_file()
    assert not any(keyword == "ENTRYPOINT" for keyword, _ in _dockerfile())


def test_dockerignore_keeps_secrets_and_local_state_out_but_the_procfile_in():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", ".git", ".venv", "var"} <= ignored
    for needed in ("Procfile", "requirements.txt", "manage.py", "tracker", "incidents", "fixtures"):
        assert needed not in ignored, needed
