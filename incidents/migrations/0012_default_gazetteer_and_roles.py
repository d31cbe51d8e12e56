"""The default gazetteer of the relevance score (editable in the admin afterwards), and the
roles' permissions for the models added since: feeds, their entries, terms, the triage queue."""

from django.db import migrations

from incidents.ingestion.default_terms import DEFAULT_TERMS
from incidents.roles import roles_sync_in_migration


def terms_install(apps, schema_editor):
    term = apps.get_model("incidents", "GazetteerTerm")
    term.objects.bulk_create(
        [
            term(text=t.text, kind=str(t.kind), key=t.key, weight=t.weight, language=t.language)
            for t in DEFAULT_TERMS
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0011_triage")]

    operations = [
        migrations.RunPython(terms_install, migrations.RunPython.noop),
        migrations.RunPython(roles_sync_in_migration, migrations.RunPython.noop),
    ]
