"""The three roles, as Django groups with model permissions (deny by default).

- Viewer reads everything in the tracker, history included, and changes nothing.
- Analyst also files and edits incidents, timelines, citations, articles and their links.
- Admin also deletes, and manages users, groups, reference data and schedules.
"""

from django.apps.registry import Apps
from django.db.models import Q


class Role:
    VIEWER = "Viewer"
    ANALYST = "Analyst"
    ADMIN = "Admin"


SYSTEM_USERNAME = "vcwatch"
"""The account that seeding and automatic jobs act as (inactive: nobody logs in as it)."""

_TRACKER_APPS = ("incidents", "pghistory")
# Credentials, request bookkeeping, and who reads what by email (addresses, habits): for the
# Admin role only. Each user manages their own subscription through /api/v1/me/subscription/.
_PRIVATE_MODELS = ("apitoken", "idempotencykey", "subscription", "delivery")
_ANALYST_WRITES = {
    "incident": ("add", "change"),
    "timelineevent": ("add", "change"),
    "article": ("add", "change"),
    "citation": ("add", "change", "delete"),
    "incidentsource": ("add", "change", "delete"),
    "incidentorganization": ("add", "change", "delete"),
    # The triage queue: accept or dismiss a suggested link.
    "linkcandidate": ("change",),
}
_ADMIN_APPS = ("incidents", "pghistory", "auth", "django_celery_beat")


def roles_sync_in_migration(apps: Apps, schema_editor=None) -> None:
    """``roles_sync`` from a data migration: permissions are normally created only after all
    migrations have run, so create those of the models known so far first."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True  # type: ignore[assignment]  # a truthy marker
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_sync(apps)


def roles_sync(apps: Apps) -> None:
    """Create the groups and set their permissions exactly; running it again changes nothing."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    view_all = Permission.objects.filter(
        content_type__app_label__in=_TRACKER_APPS, codename__startswith="view_"
    ).exclude(content_type__model__in=_PRIVATE_MODELS)
    analyst_writes = Q(pk__in=[])
    for model, actions in _ANALYST_WRITES.items():
        analyst_writes |= Q(
            content_type__app_label="incidents",
            content_type__model=model,
            codename__in=[f"{action}_{model}" for action in actions],
        )
    grants = {
        Role.VIEWER: view_all,
        Role.ANALYST: view_all | Permission.objects.filter(analyst_writes),
        Role.ADMIN: Permission.objects.filter(content_type__app_label__in=_ADMIN_APPS),
    }
    for name, permissions in grants.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions.distinct())
