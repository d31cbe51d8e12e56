from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0013_candidate_reason_only_when_dismissed"),
    ]

    operations = [
        migrations.AddField(
            model_name="feed",
            name="body_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
    ]
