"""Create the Viewer, Analyst and Admin groups and the inactive system account."""

from django.contrib.auth.hashers import make_password
from django.db import migrations

from incidents.roles import SYSTEM_USERNAME, roles_sync_in_migration


def create_system_user(apps, schema_editor):
    User = apps.get_model("auth", "User")
    User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"is_active": False, "password": make_password(None), "first_name": "vcwatch"},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("pghistory", "0007_auto_20250421_0444"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(roles_sync_in_migration, migrations.RunPython.noop),
        migrations.RunPython(create_system_user, migrations.RunPython.noop),
    ]
