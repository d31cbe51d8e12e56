"""Create the Viewer, Analyst and Admin groups and the inactive system account."""

from django.contrib.auth.hashers import make_password
from django.contrib.auth.management import create_permissions
from django.db import migrations

from incidents.roles import SYSTEM_USERNAME, roles_sync


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_sync(apps)


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
        migrations.RunPython(create_roles, migrations.RunPython.noop),
        migrations.RunPython(create_system_user, migrations.RunPython.noop),
    ]
