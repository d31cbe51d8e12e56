import csv
import io

import pytest

from tests.factories import IncidentFactory, PlatformFactory


def _rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.django_db
def test_csv_exports_the_current_filter(as_viewer):
    zoom = PlatformFactory(slug="zoom")
    IncidentFactory(slug="a", platforms=[zoom], severity="high")
    IncidentFactory(slug="b", severity="low")
    response = as_viewer.get("/api/v1/incidents/", {"format": "csv", "platform": "zoom"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _rows(response)
    assert [(r["slug"], r["platforms"], r["occurred_on"]) for r in rows] == [
        ("a", "zoom", "2020-03")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("title", ['=HYPERLINK("http://evil")', "+1+1", "-2", "@SUM(A1)", "\tx"])
def test_csv_neutralises_spreadsheet_formulas(as_viewer, title):
    IncidentFactory(title=title)
    [row] = _rows(as_viewer.get("/api/v1/incidents/", {"format": "csv"}))
    assert row["title"] == "'" + title


@pytest.mark.django_db
def test_csv_needs_a_login(api):
    assert api.get("/api/v1/incidents/", {"format": "csv"}).status_code == 401


@pytest.mark.django_db
def test_csv_export_runs_a_constant_number_of_queries(as_viewer, django_assert_max_num_queries):
    zoom = PlatformFactory()
    for _ in range(30):
        IncidentFactory(platforms=[zoom])
    as_viewer.get("/api/v1/tags/")
    with django_assert_max_num_queries(4):
        rows = _rows(as_viewer.get("/api/v1/incidents/", {"format": "csv"}))
    assert len(rows) == 30
