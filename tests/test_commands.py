import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from incidents.roles import Role


@pytest.mark.django_db
def test_ensure_admin_creates_the_superuser_with_the_given_password(monkeypatch, capsys):
    monkeypatch.setenv("TRACKER_ADMIN_PASSWORD", "a-long-chosen-password")
    call_command("ensure_admin")
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser
    assert user.is_staff
    assert user.check_password("a-long-chosen-password")
    assert user.groups.filter(name=Role.ADMIN).exists()
    assert "a-long-chosen-password" not in capsys.readouterr().out


@pytest.mark.django_db
def test_ensure_admin_generates_a_password_and_prints_it_once(monkeypatch, capsys):
    monkeypatch.delenv("TRACKER_ADMIN_PASSWORD", raising=False)
    call_command("ensure_admin")
    out = capsys.readouterr().out
    password = out.split("with password ")[1].split()[0]
    assert len(password) >= 20
    assert get_user_model().objects.get(username="admin").check_password(password)
    call_command("ensure_admin")
    again = capsys.readouterr().out
    assert "exists, left unchanged" in again
    assert password not in again
    assert get_user_model().objects.get(username="admin").check_password(password)
