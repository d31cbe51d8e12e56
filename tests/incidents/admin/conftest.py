import pytest

from incidents.seeding import seed_apply


@pytest.fixture
def seeded(db):
    seed_apply()
