"""Ingestion's beat schedule (editable in the admin) and a default list of feeds, disabled.

The feeds are real security-news and news-search feeds about the platforms; a user enables the
ones they want (Feeds > select > "Enable"). Created once: a feed deleted later stays deleted.
"""

from django.db import migrations

SCHEDULE = [
    # (name, task, every seconds, expires after seconds)
    ("Ingestion: poll due feeds", "ingestion.feeds_dispatch", 60, 55),
    ("Ingestion: queue overdue feed entries again", "ingestion.entries_sweep", 300, 290),
]

# (name, url, language hint)
DEFAULT_FEEDS = [
    (
        "Google News: Zoom security (en)",
        "https://news.google.com/rss/search?q=zoom+security+OR+vulnerability+OR+zoombombing&hl=en-US&gl=US&ceid=US:en",
        "en",
    ),
    (
        "Google News: Microsoft Teams security (en)",
        "https://news.google.com/rss/search?q=%22microsoft+teams%22+security+OR+vulnerability&hl=en-US&gl=US&ceid=US:en",
        "en",
    ),
    (
        "Google News: Webex and Google Meet security (en)",
        "https://news.google.com/rss/search?q=webex+OR+%22google+meet%22+security+OR+vulnerability&hl=en-US&gl=US&ceid=US:en",
        "en",
    ),
    (
        "Google News: Zoom beveiliging (nl)",
        "https://news.google.com/rss/search?q=zoom+beveiliging+OR+lek+OR+kwetsbaarheid&hl=nl&gl=NL&ceid=NL:nl",
        "nl",
    ),
    (
        "Google News: Zoom sécurité (fr)",
        "https://news.google.com/rss/search?q=zoom+s%C3%A9curit%C3%A9+OR+faille&hl=fr&gl=FR&ceid=FR:fr",
        "fr",
    ),
    (
        "Google News: Zoom Sicherheit (de)",
        "https://news.google.com/rss/search?q=zoom+sicherheit+OR+sicherheitsl%C3%BCcke&hl=de&gl=DE&ceid=DE:de",
        "de",
    ),
    ("BleepingComputer", "https://www.bleepingcomputer.com/feed/", "en"),
    ("The Hacker News", "https://feeds.feedburner.com/TheHackersNews", "en"),
    ("Krebs on Security", "https://krebsonsecurity.com/feed/", "en"),
    ("SecurityWeek", "https://www.securityweek.com/feed/", "en"),
    (
        "CISA cybersecurity advisories",
        "https://www.cisa.gov/cybersecurity-advisories/all.xml",
        "en",
    ),
    ("Security.NL", "https://www.security.nl/rss/headlines.xml", "nl"),
    ("CERT-FR", "https://www.cert.ssi.gouv.fr/feed/", "fr"),
    ("heise Security", "https://www.heise.de/security/rss/news-atom.xml", "de"),
]


def install(apps, schema_editor):
    interval_schedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    periodic_task = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, every, expires in SCHEDULE:
        interval, _ = interval_schedule.objects.get_or_create(every=every, period="seconds")
        periodic_task.objects.get_or_create(
            name=name, defaults={"task": task, "interval": interval, "expire_seconds": expires}
        )
    feed = apps.get_model("incidents", "Feed")
    for name, url, language in DEFAULT_FEEDS:
        feed.objects.get_or_create(
            url=url, defaults={"name": name, "language": language, "enabled": False}
        )


def uninstall(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[name for name, *_ in SCHEDULE]
    ).delete()
    apps.get_model("incidents", "Feed").objects.filter(
        url__in=[url for _, url, _ in DEFAULT_FEEDS], entries__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0009_feeds"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
