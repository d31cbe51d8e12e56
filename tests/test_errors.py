"""Unrouted API URLs and server errors answer in the API's JSON shape; other pages stay HTML."""

import pytest
from django.test import Client
from django.urls import path

from tracker import urls as tracker_urls


def test_an_unrouted_api_url_is_a_json_404(client):
    response = client.get("/api/v1/incidents/not%20a%20slug/timeline/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "not_found", "detail": "Not found."}


def test_an_unrouted_page_elsewhere_stays_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def _explode(request):
    raise RuntimeError("boom")


urlpatterns = [
    path("api/v1/explode/", _explode),
    path("explode/", _explode),
]
handler500 = tracker_urls.handler500


@pytest.mark.urls("tests.test_errors")
def test_a_server_error_under_the_api_is_json_and_says_nothing_internal():
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/explode/")
    assert response.status_code == 500
    assert response.json()["error"] == "server_error"
    assert b"boom" not in response.content
    html = client.get("/explode/")
    assert html.status_code == 500
    assert html["Content-Type"].startswith("text/html")
