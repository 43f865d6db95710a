"""Fixtures for the operations layer: signed-in clients, metric readers, fresh health."""

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tests.support.staff import verified_client


@pytest.fixture
def staff_client(make_staff):
    """An operator (``OPERATE``) signed in with a verified second factor, as staff pages ask."""
    return verified_client(make_staff("operator", username="opsstaff"))


@pytest.fixture
def buyer_client(make_user):
    client = Client()
    client.force_login(make_user("opsbuyer"))
    return client


@pytest.fixture
def fresh_health(container):
    """The health service with its short result cache emptied, before and after the test."""
    health = container.core.health_service()
    health._memo.clear()
    yield health
    health._memo.clear()


def metric_value(text: str, sample_name: str, **labels) -> float:
    """Sum of the samples of that name whose labels include ``labels`` (0 when absent)."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == sample_name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total
