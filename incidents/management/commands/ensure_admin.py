"""``manage.py ensure_admin``: make sure the superuser ``admin`` exists."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from incidents.roles import Role


class Command(BaseCommand):
    help = (
        "Create the superuser 'admin' if it does not exist, with TRACKER_ADMIN_PASSWORD as its "
        "password, or a generated one printed once. An existing account is left as it is."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", default="", help="default: $TRACKER_ADMIN_PASSWORD")

    def handle(self, *args, username: str, password: str, **options) -> None:
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            self.stdout.write(f"ensure_admin: user {username!r} exists, left unchanged")
            return
        password = password or os.environ.get("TRACKER_ADMIN_PASSWORD", "")
        generated = not password
        password = password or secrets.token_urlsafe(18)
        with transaction.atomic():
            user = User.objects.create_superuser(username=username, email="", password=password)
            user.groups.add(Group.objects.get(name=Role.ADMIN))
        if generated:
            self.stdout.write(
                self.style.WARNING(
                    f"ensure_admin: created superuser {username!r} with password {password}\n"
                    "  (shown once; set TRACKER_ADMIN_PASSWORD to choose it, "
                    "or run `manage.py changepassword admin`)"
                )
            )
        else:
            self.stdout.write(f"ensure_admin: created superuser {username!r}")
