"""Every admin page renders, for every registered model."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import IncidentFactory, PlatformFactory, TagFactory

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_every_admin_page_renders(client, superuser, seeded, model):
    client.force_login(superuser)
    model_admin = admin.site._registry[model]
    pages = [_url(model, "changelist")]
    if model_admin.has_add_permission(_request(superuser)):
        pages.append(_url(model, "add"))
    obj = model._default_manager.order_by("pk").first()
    if obj is not None:
        pages += [_url(model, "change", obj.pk), _url(model, "history", obj.pk)]
        if model_admin.has_delete_permission(_request(superuser), obj):
            pages.append(_url(model, "delete", obj.pk))
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page


@pytest.mark.django_db
def test_changelist_search_filters_and_date_hierarchy_render(client, superuser, seeded):
    client.force_login(superuser)
    url = reverse("admin:incidents_incident_changelist")
    for query in (
        "?q=zoombombing",
        "?status__exact=resolved",
        "?severity__exact=high&category__exact=intrusion",
        "?platforms__id__exact=1",
        "?occurred_on__year=2020",
        "?occurred_on__year=2020&occurred_on__month=3",
    ):
        assert client.get(url + query).status_code == 200, query
    response = client.get(url + "?status__exact=resolved")
    assert [i.slug for i in response.context["cl"].result_list] == [
        "new-york-ag-zoom-agreement-2020"
    ]


@pytest.mark.django_db
def test_incident_list_runs_the_same_number_of_queries_for_few_and_many(client, superuser):
    client.force_login(superuser)
    url = reverse("admin:incidents_incident_changelist")
    platforms = PlatformFactory.create_batch(3)

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    IncidentFactory(platforms=platforms)
    client.get(url)  # warm the session and content-type caches
    few = queries_for_list()
    for _ in range(30):
        IncidentFactory(platforms=platforms, tags=[TagFactory()])
    assert queries_for_list() == few


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request
