"""Settings refuse to start misconfigured, and the README documents every variable."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _django_setup(**env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT / "tests",  # away from a developer's .env
        env={**environment, "DJANGO_SETTINGS_MODULE": "tracker.settings", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = _django_setup(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set: it is required when DEBUG is off" in result.stderr


def test_starts_with_a_secret_key():
    result = _django_setup(SECRET_KEY="a" * 50)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": ""}, "DATABASE_URL is not set"),
        ({"DATABASE_URL": "sqlite:///db.sqlite3"}, "DATABASE_URL must point at PostgreSQL"),
        ({"REDIS_URL": ""}, "REDIS_URL is not set"),
    ],
)
def test_refuses_to_start_without_its_services(env, message):
    result = _django_setup(SECRET_KEY="a" * 50, **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_readme_and_env_example_name_every_variable_the_settings_read():
    sources = (ROOT / "tracker" / "settings.py").read_text()
    sources += (ROOT / "tracker" / "launch.py").read_text()
    sources += (ROOT / "incidents" / "management" / "commands" / "ensure_admin.py").read_text()
    names = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', sources))
    names |= set(re.findall(r'_required\(\s*"([A-Z_]+)"', sources))
    names |= set(re.findall(r'environ\.get\(\s*"([A-Z_]+)"', sources))
    names |= set(re.findall(r'env\.get\(\s*"([A-Z_]+)"', sources))
    names -= {"DJANGO_SETTINGS_MODULE", "PATH", "XDG_RUNTIME_DIR"}
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "TRACKER_ADMIN_PASSWORD"} <= names
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    for name in sorted(names):
        assert f"| `{name}` |" in readme, f"README.md does not document {name}"
        assert re.search(rf"^#? ?{name}=", example, re.M), f".env.example does not list {name}"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp+tls://mailer:secret@mail.example.org:587",
            ["django.core.mail.backends.smtp.EmailBackend", "mail.example.org", "587", "True"],
        ),
        (
            "console://",
            ["django.core.mail.backends.console.EmailBackend", "None", "None", "False"],
        ),
    ],
)
def test_email_url_chooses_the_mail_backend(url, expected):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT / "tests",
        env={
            **os.environ,
            "SECRET_KEY": "a" * 50,
            "EMAIL_URL": url,
            "DJANGO_SETTINGS_MODULE": "tracker.settings",
            "PYTHONPATH": str(ROOT),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split() == expected
