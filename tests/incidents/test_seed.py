import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from incidents.models import (
    Article,
    Citation,
    Incident,
    IncidentOrganization,
    IncidentSource,
    Organization,
    Platform,
    SeedMark,
    Tag,
    TimelineEvent,
)
from incidents.seeding import SEED_DIR, SeedError, seed_apply
from incidents.text import quote_in_text

Status = Incident.Status
MODELS = [
    Article,
    Citation,
    Incident,
    IncidentOrganization,
    IncidentSource,
    Organization,
    Platform,
    Tag,
    TimelineEvent,
    SeedMark,
]


def _counts() -> dict[str, int]:
    counts = {model.__name__: model.objects.count() for model in MODELS}
    counts["related"] = Incident.related.through.objects.count()
    return counts


@pytest.fixture
def seeded(db):
    seed_apply()


@pytest.mark.django_db
def test_seed_builds_the_documents_into_articles_with_detected_languages(seeded):
    languages = dict(Article.objects.values_list("title", "language"))
    assert languages == {
        "Het aantal dagelijkse gebruikers van Zoom is in maart de 200 miljoen gepasseerd": "nl",
        "Zoom has greatly benefited from the social distancing": "en",
    }
    for article in Article.objects.all():
        assert article.url.startswith("urn:sha256:")
        assert article.created_by.username == "vcwatch"


@pytest.mark.django_db
def test_seed_files_the_incidents_the_documents_report(seeded):
    statuses = dict(Incident.objects.values_list("slug", "status"))
    assert statuses == {
        "zoom-user-surge-privacy-defects-2020": Status.CONFIRMED,
        "zoombombing-2020": Status.CONFIRMED,
        "fbi-warning-zoom-meetings-2020": Status.CONFIRMED,
        "spacex-bans-zoom-2020": Status.CONFIRMED,
        "zoom-ceo-apology-90-day-plan-2020": Status.CONFIRMED,
        "new-york-ag-zoom-agreement-2020": Status.RESOLVED,
        "zoom-share-price-fall-2020": Status.CONFIRMED,
    }
    fbi = Incident.objects.get(slug="fbi-warning-zoom-meetings-2020")
    assert fbi.occurred.isoformat() == "2020-03-30"
    assert fbi.category == Incident.Category.ADVISORY
    assert [p.slug for p in fbi.platforms.all()] == ["zoom"]
    assert {(i.organization.slug, i.role) for i in fbi.involvements.all()} == {
        ("fbi", "reporter"),
        ("zoom-video-communications", "vendor"),
    }
    spacex = Incident.objects.get(slug="spacex-bans-zoom-2020")
    assert {(i.organization.slug, i.role) for i in spacex.involvements.all()} >= {
        ("spacex", "restricting_organization"),
        ("reuters", "source"),
    }
    ny = Incident.objects.get(slug="new-york-ag-zoom-agreement-2020")
    kinds = list(ny.timeline.values_list("kind", "date"))
    assert (TimelineEvent.Kind.SETTLEMENT, ny.occurred.start) in kinds
    assert ny.occurred.isoformat() == "2020-05-07"
    surge = Incident.objects.get(slug="zoom-user-surge-privacy-defects-2020")
    assert set(surge.related.values_list("slug", flat=True)) == {
        "zoombombing-2020",
        "spacex-bans-zoom-2020",
        "zoom-ceo-apology-90-day-plan-2020",
        "new-york-ag-zoom-agreement-2020",
        "zoom-share-price-fall-2020",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("slug", "figure"),
    [
        ("zoom-user-surge-privacy-defects-2020", "200 million"),
        ("zoom-user-surge-privacy-defects-2020", "10 million"),
        ("zoom-user-surge-privacy-defects-2020", "90,000 schools in 20 countries"),
        ("zoom-user-surge-privacy-defects-2020", "169% to more than $328"),
        ("zoom-user-surge-privacy-defects-2020", "$27 million"),
        ("zoom-user-surge-privacy-defects-2020", "265,400"),
        ("zoom-user-surge-privacy-defects-2020", "354%"),
        ("zoombombing-2020", "pornographic or racist material"),
        ("zoombombing-2020", "two cases"),
        ("zoom-ceo-apology-90-day-plan-2020", "next 90 days"),
    ],
)
def test_seed_puts_each_figure_on_its_event(seeded, slug, figure):
    assert TimelineEvent.objects.filter(incident__slug=slug, description__contains=figure).exists()


@pytest.mark.django_db
def test_every_seeded_fact_cites_a_document_with_a_quote_found_in_it(seeded):
    facts = TimelineEvent.objects.exclude(kind=TimelineEvent.Kind.STATUS_CHANGE)
    assert facts.count() == 18
    for event in facts.prefetch_related("citations__article"):
        citations = list(event.citations.all())
        assert citations, f"{event} cites nothing"
        for citation in citations:
            assert citation.quote
            assert quote_in_text(citation.quote, citation.article.text)
            assert event.incident.sources.filter(pk=citation.article_id).exists()


@pytest.mark.django_db
def test_month_precision_facts_stay_months(seeded):
    event = TimelineEvent.objects.get(
        incident__slug="zoom-user-surge-privacy-defects-2020", description__contains="200 million"
    )
    assert event.when.isoformat() == "2020-03"


@pytest.mark.django_db
def test_seeded_status_changes_are_recorded_as_the_system_account(seeded):
    ny = Incident.objects.get(slug="new-york-ag-zoom-agreement-2020")
    moves = ny.timeline.filter(kind=TimelineEvent.Kind.STATUS_CHANGE).order_by("id")
    assert [(m.from_status, m.to_status) for m in moves] == [
        (Status.REPORTED, Status.CONFIRMED),
        (Status.CONFIRMED, Status.RESOLVED),
    ]
    assert {m.created_by.username for m in moves} == {"vcwatch"}


@pytest.mark.django_db
def test_seeding_twice_changes_and_duplicates_nothing(seeded):
    before = _counts()
    report = seed_apply()
    assert report.created == {}
    assert report.skipped == before["SeedMark"]
    assert _counts() == before


@pytest.mark.django_db
def test_seeding_again_keeps_an_analysts_edits_and_deletions(seeded):
    incident = Incident.objects.get(slug="zoombombing-2020")
    Incident.objects.filter(pk=incident.pk).update(
        title="Edited by an analyst", severity="critical"
    )
    incident.timeline.filter(description__contains="Two months on").delete()
    Platform.objects.filter(slug="webex").update(name="Webex by Cisco")
    before = _counts()

    seed_apply()

    incident.refresh_from_db()
    assert (incident.title, incident.severity) == ("Edited by an analyst", "critical")
    assert not incident.timeline.filter(description__contains="Two months on").exists()
    assert Platform.objects.get(slug="webex").name == "Webex by Cisco"
    assert _counts() == before


@pytest.mark.django_db
def test_seed_command_reports_what_it_wrote(capsys):
    call_command("seed")
    assert "created 2 articles, 18 events, 7 incidents" in capsys.readouterr().out
    call_command("seed")
    assert "created nothing" in capsys.readouterr().out


@pytest.mark.django_db
def test_malformed_seed_data_is_refused_in_one_line_and_writes_nothing(tmp_path: Path):
    seed_dir = tmp_path / "seed"
    shutil.copytree(SEED_DIR, seed_dir)
    data = (seed_dir / "seed.yaml").read_text()
    (seed_dir / "seed.yaml").write_text(data.replace("kind: report", "kind: rumour", 1))
    with pytest.raises(SeedError) as error:
        seed_apply(seed_dir=seed_dir)
    assert "seed record event:" in str(error.value)
    assert "kind" in str(error.value)
    assert "\n" not in str(error.value)
    assert not Incident.objects.exists()
    assert not SeedMark.objects.exists()


@pytest.mark.django_db
def test_a_quote_missing_from_its_document_is_refused(tmp_path: Path):
    seed_dir = tmp_path / "seed"
    shutil.copytree(SEED_DIR, seed_dir)
    data = (seed_dir / "seed.yaml").read_text()
    broken = data.replace("De FBI waarschuwde gebruikers onlangs", "De FBI verbood gebruikers", 1)
    (seed_dir / "seed.yaml").write_text(broken)
    with pytest.raises(SeedError, match="does not occur in article"):
        seed_apply(seed_dir=seed_dir)
    assert not TimelineEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("incidents: [unclosed", "cannot read"),
        ("- just a list", "does not hold a mapping"),
        ("articles:\n  - {key: x, file: ../../etc/passwd, title: t}", "outside the seed"),
        ("articles:\n  - {key: x, file: missing.txt, title: t}", "cannot read"),
    ],
)
def test_seed_command_exits_non_zero_on_bad_data(tmp_path: Path, content, message):
    (tmp_path / "seed.yaml").write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("seed", dir=tmp_path)
    assert not SeedMark.objects.exists()
