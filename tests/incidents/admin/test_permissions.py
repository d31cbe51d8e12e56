"""Roles hold in the admin: a Viewer reads and changes nothing; an outsider sees nothing."""

import pytest
from django.http import HttpRequest
from django.urls import reverse

from incidents.models import Article, Incident, Organization, Platform, Tag, TimelineEvent

MODELS = [Article, Incident, Organization, Platform, Tag, TimelineEvent]


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:incidents_{model._meta.model_name}_{view}", args=args)


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_viewer_reads_but_cannot_add_change_or_delete(client, viewer, seeded, model):
    client.force_login(viewer)
    obj = model.objects.order_by("pk").first()
    before = model.objects.count()
    assert client.get(_url(model, "changelist")).status_code == 200
    change_page = client.get(_url(model, "change", obj.pk))
    assert change_page.status_code == 200
    assert not change_page.context["has_change_permission"]
    assert client.get(_url(model, "history", obj.pk)).status_code == 200
    assert client.get(_url(model, "add")).status_code == 403
    assert client.post(_url(model, "add"), {}).status_code == 403
    assert client.post(_url(model, "change", obj.pk), {}).status_code == 403
    assert client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.count() == before


@pytest.mark.django_db
def test_viewer_cannot_move_an_incident(client, viewer, seeded):
    client.force_login(viewer)
    incident = Incident.objects.get(slug="zoombombing-2020")
    url = reverse("admin:incidents_incident_transition", args=[incident.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"to_status": "mitigated"}).status_code == 403
    changelist = client.get(_url(Incident, "changelist"))
    assert "move_to_mitigated" not in changelist.content.decode()
    client.post(
        _url(Incident, "changelist"),
        {"action": "move_to_mitigated", "_selected_action": [incident.pk]},
    )
    incident.refresh_from_db()
    assert incident.status == Incident.Status.CONFIRMED
    assert "allowed_transitions" not in client.get(_url(Incident, "change", incident.pk)).context


@pytest.mark.django_db
def test_analyst_cannot_delete_incidents_or_manage_users(client, analyst, seeded):
    client.force_login(analyst)
    incident = Incident.objects.first()
    assert client.post(_url(Incident, "delete", incident.pk), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(_url(Platform, "add")).status_code == 403
    assert Incident.objects.filter(pk=incident.pk).exists()


@pytest.mark.django_db
def test_admin_group_can_delete(client, admin_user):
    from tests.factories import TagFactory

    client.force_login(admin_user)
    tag = TagFactory()
    response = client.post(_url(Tag, "delete", tag.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Tag.objects.filter(pk=tag.pk).exists()


@pytest.mark.django_db
def test_outsider_without_staff_status_is_sent_to_login(client, outsider, seeded):
    client.force_login(outsider)
    response = client.get(_url(Incident, "changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, seeded):
    response = client.get(_url(Incident, "changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_the_system_account_cannot_log_in(client, seeded):
    # django-axes' backend needs the request a login comes with.
    assert not client.login(request=HttpRequest(), username="vcwatch", password="")


@pytest.mark.django_db
def test_admin_revokes_any_token_in_the_admin(client, admin_user, analyst):
    from incidents.models import ApiToken
    from incidents.tokens import api_token_issue

    token, _ = api_token_issue(user=analyst)
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:incidents_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )
    assert "Revoked 1 token(s)." in response.content.decode()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert client.get(reverse("admin:incidents_apitoken_add")).status_code == 403


@pytest.mark.django_db
def test_analyst_cannot_see_tokens_in_the_admin(client, analyst):
    client.force_login(analyst)
    assert client.get(reverse("admin:incidents_apitoken_changelist")).status_code == 403
