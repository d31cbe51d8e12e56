import pytest
from rest_framework.test import APIClient

from incidents.seeding import seed_apply
from incidents.tokens import api_token_issue


@pytest.fixture
def api():
    """An API client with no credentials."""
    return APIClient()


def client_for(user) -> APIClient:
    """An API client sending ``user``'s personal token."""
    _, key = api_token_issue(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def as_viewer(viewer):
    return client_for(viewer)


@pytest.fixture
def as_analyst(analyst):
    return client_for(analyst)


@pytest.fixture
def as_admin(admin_user):
    return client_for(admin_user)


@pytest.fixture
def as_outsider(outsider):
    return client_for(outsider)


@pytest.fixture
def seeded(db):
    seed_apply()
