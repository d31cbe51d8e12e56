"""Give the roles the permissions of the models added since (tokens: Admin only)."""

from django.db import migrations

from incidents.roles import roles_sync_in_migration


class Migration(migrations.Migration):
    dependencies = [("incidents", "0005_search_vectors")]

    operations = [migrations.RunPython(roles_sync_in_migration, migrations.RunPython.noop)]
