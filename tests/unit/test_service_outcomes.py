"""Service calls are counted by outcome: a refusal (the caller told no) is not a failure."""

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from modkit.instrumentation import instrumented_class

from containers.metrics import PrometheusObserver, outcome, samples, service_figures
from services.errors import (
    ChainRpcError,
    Conflict,
    InsufficientFunds,
    NotFound,
    NotificationError,
    PermissionDenied,
    ServiceUnavailable,
    VendorNotActive,
)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (None, "ok"),
        (NotFound("no such order"), "refused"),
        (PermissionDenied("not yours"), "refused"),
        (VendorNotActive("not approved"), "refused"),
        (Conflict("already paid"), "refused"),
        (InsufficientFunds("too little"), "refused"),
        (DjangoPermissionDenied(), "refused"),
        (Http404(), "refused"),
        (ServiceUnavailable("orders is down"), "failed"),
        (ChainRpcError("node said no", rpc_code=-1), "failed"),
        (NotificationError("smtp down"), "failed"),
        (RuntimeError("bug"), "failed"),
        (KeyError("x"), "failed"),
    ],
)
def test_each_error_has_its_outcome(error, expected):
    assert outcome(error) == expected


class ShopLike:
    def fine(self):
        return "ok"

    def refuse(self):
        raise NotFound("There is no such shop.")

    def deny(self):
        raise DjangoPermissionDenied("vendors only")

    def crash(self):
        raise ZeroDivisionError("a bug")

    def never_called(self):
        return None


def counts(service: str) -> dict:
    found: dict = {}
    for sample in samples("marketplace_service_calls"):
        if sample.labels.get("service") == service:
            key = (sample.labels["method"], sample.labels["outcome"])
            found[key] = found.get(key, 0) + int(sample.value)
    return found


def test_refusals_and_failures_are_counted_apart_and_series_come_at_the_first_call():
    service = "outcome_test_service"
    shop = instrumented_class(ShopLike, service, PrometheusObserver())()
    assert counts(service) == {}  # building the service made no series
    assert shop.fine() == "ok"
    for call, error in ((shop.refuse, NotFound), (shop.deny, DjangoPermissionDenied), (shop.crash, ZeroDivisionError)):
        with pytest.raises(error):
            call()
    with pytest.raises(NotFound):
        shop.refuse()

    assert counts(service) == {
        ("fine", "ok"): 1,
        ("refuse", "refused"): 2,
        ("deny", "refused"): 1,
        ("crash", "failed"): 1,
    }
    figures = service_figures()[service]
    assert (figures["calls"], figures["refused"], figures["failed"]) == (5, 3, 1)
    assert figures["methods"]["refuse"]["refused"] == 2 and figures["methods"]["crash"]["failed"] == 1
    assert "never_called" not in figures["methods"]
