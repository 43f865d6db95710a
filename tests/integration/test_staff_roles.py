"""Least privilege, checked in the services: each staff act succeeds for the role it belongs to and
for a superuser, and is refused by the service itself (not only by a page) for every other role
and for a plain user. Support reads any order but never acts, and reads its messages only once it
is disputed."""

import pytest
from django.contrib.auth import get_user_model

from services.errors import NotFound, PermissionDenied
from services.staff_access import ROLES

pytestmark = pytest.mark.django_db

PEOPLE = ["plain", *ROLES, "superuser"]


@pytest.fixture
def people(make_user, make_staff):
    crowd = {"plain": make_user("plain")}
    for role in ROLES:
        crowd[role] = make_staff(role, username=f"the-{role}")
    boss = make_user("boss")
    get_user_model().objects.filter(pk=boss.pk).update(is_superuser=True)
    boss.refresh_from_db()
    crowd["superuser"] = boss
    return crowd


def only(allowed: set[str], people, attempt, refused=PermissionDenied) -> None:
    """``attempt(user)`` succeeds for ``allowed`` and the superuser, and raises ``refused`` for the rest."""
    for name in PEOPLE:
        user = people[name]
        if name in allowed or name == "superuser":
            try:
                attempt(user)
            except Exception as error:  # say who failed, not only how
                raise AssertionError(f"{name} should be allowed: {error!r}") from error
            continue
        try:
            attempt(user)
        except refused:
            continue
        pytest.fail(f"{name} was not refused")


# vendors: MANAGE_VENDORS (moderator)
def test_reviewing_and_suspending_shops_is_for_moderators(people, make_vendor, vendor_service):
    from marketplace.vendors.models import Vendor

    counter = iter(range(100))

    def approve(user):
        shop = make_vendor(f"applicant{next(counter)}", status="pending")
        vendor_service.approve(staff_id=user.pk, vendor_id=shop.vendor_id)

    def reject(user):
        shop = make_vendor(f"applicant{next(counter)}", status="pending")
        vendor_service.reject(staff_id=user.pk, vendor_id=shop.vendor_id, reason="Describe what you sell.")

    def suspend_and_lift(user):
        shop = make_vendor(f"seller{next(counter)}")
        vendor_service.suspend(staff_id=user.pk, vendor_id=shop.vendor_id, reason="Fraud reports.")
        vendor_service.unsuspend(staff_id=user.pk, vendor_id=shop.vendor_id)

    only({"moderator"}, people, approve)
    applicants = Vendor.objects.filter(user__username__startswith="applicant")
    assert sorted(applicants.values_list("status", flat=True)) == ["approved"] * 2 + ["pending"] * 4
    only({"moderator"}, people, reject)
    only({"moderator"}, people, suspend_and_lift)
    only({"moderator"}, people, lambda user: vendor_service.applications(staff_id=user.pk))


def test_only_moderators_see_a_shop_that_is_not_active(people, make_vendor, vendor_service, staff):
    sue = make_vendor("sue")
    vendor_service.suspend(staff_id=staff.pk, vendor_id=sue.vendor_id, reason="Under review.")
    only(
        {"moderator"},
        people,
        lambda user: vendor_service.storefront(slug=sue.shop_slug, viewer_id=user.pk),
        refused=NotFound,
    )
    assert vendor_service.storefront(slug=sue.shop_slug, viewer_id=sue.pk).vendor.suspended  # its owner


# the catalog: MODERATE_CATALOG (moderator)
def test_moderating_listings_is_for_moderators(people, make_vendor, make_product, moderation_service, catalog_queries):
    bob = make_vendor("bob")
    reporter = people["plain"]

    def unlist_and_restore(user):
        product_id = make_product(bob, title="Brass desk lamp")
        moderation_service.unlist(staff_id=user.pk, product_id=product_id, note="Prohibited item.")
        moderation_service.restore(staff_id=user.pk, product_id=product_id)

    def dismiss(user):
        product_id = make_product(bob, title="Claw hammer")
        moderation_service.report(reporter_id=reporter.pk, product_id=product_id, reason="misleading")
        assert moderation_service.dismiss_reports(staff_id=user.pk, product_id=product_id) == 1

    only({"moderator"}, people, unlist_and_restore)
    only({"moderator"}, people, dismiss)
    only({"moderator"}, people, lambda user: catalog_queries.moderation_queue(staff_id=user.pk))


def test_only_moderators_and_the_vendor_see_an_unlisted_product(
    people, make_vendor, make_product, staff, moderation_service, catalog_queries
):
    bob = make_vendor("bob")
    product_id = make_product(bob)
    moderation_service.unlist(staff_id=staff.pk, product_id=product_id, note="Prohibited item.")
    for name, user in people.items():
        seen = catalog_queries.visible_product(product_id=product_id, viewer_id=user.pk)
        assert (seen is not None) == (name in ("moderator", "superuser")), name
    assert catalog_queries.visible_product(product_id=product_id, viewer_id=bob.pk) is not None
    assert catalog_queries.visible_product(product_id=product_id, viewer_id=None) is None


# orders: RULE_DISPUTES (finance) acts; VIEW_ANY_ORDER (support, finance) looks
@pytest.fixture
def pens(market, make_product, order_service, place):
    """An order factory on plenty of stock: ``pens(state)`` -> reference."""
    pen = make_product(market.vendor, title="Fountain pen", price_sat=1_000, stock=500)

    def walk(state):
        ref = place(market.buyer, {pen: 1})
        if state in ("accepted", "shipped", "disputed"):
            order_service.accept(actor_id=market.vendor.pk, reference=ref)
        if state in ("shipped", "disputed"):
            order_service.ship(actor_id=market.vendor.pk, reference=ref)
        if state == "disputed":
            order_service.open_dispute(actor_id=market.buyer.pk, reference=ref, reason="It never arrived here.")
        return ref

    return walk


def test_rulings_and_the_dispute_queue_are_for_finance(people, pens, order_service, order_queries, place):
    def rule(user):
        ref = pens("disputed")
        order_service.resolve_dispute(staff_id=user.pk, reference=ref, ruling="refund", note="Never arrived.")

    only({"finance"}, people, rule)
    only({"finance"}, people, lambda user: order_queries.dispute_queue(staff_id=user.pk))


def test_writing_in_a_disputed_thread_is_for_finance(people, pens, order_service, message_service, place):
    ref = pens("disputed")
    only(
        {"finance"},
        people,
        lambda user: message_service.post(actor_id=user.pk, reference=ref, body="A photo?"),
        refused=(PermissionDenied, NotFound),
    )
    with pytest.raises(PermissionDenied):  # support may see the order: they are told no, not "no such order"
        message_service.post(actor_id=people["support"].pk, reference=ref, body="Hello from support.")


def test_support_and_finance_look_up_any_order(people, pens, order_service, order_queries, place):
    ref = pens("funded")
    only(
        {"support", "finance"},
        people,
        lambda user: order_queries.order_detail(viewer_id=user.pk, reference=ref),
        refused=NotFound,
    )
    only(
        {"support", "finance"},
        people,
        lambda user: order_queries.find_order(staff_id=user.pk, reference=f" {ref.lower()} "),
    )
    assert order_queries.find_order(staff_id=people["support"].pk, reference=ref[4:]) == ref
    with pytest.raises(NotFound):
        order_queries.find_order(staff_id=people["support"].pk, reference="ORD-00000000")
    with pytest.raises(NotFound):
        order_queries.find_order(staff_id=people["support"].pk, reference="<script>")


def test_support_reads_messages_only_once_the_order_is_disputed(
    people, market, pens, order_service, order_queries, message_service, place
):
    support = people["support"]
    quiet = pens("shipped")
    message_service.post(actor_id=market.buyer.pk, reference=quiet, body="Please leave it with the neighbour.")
    detail = order_queries.order_detail(viewer_id=support.pk, reference=quiet)
    assert detail.role == "staff" and detail.events and detail.dispute is None
    assert detail.messages == () and not detail.messages_visible and detail.actions == frozenset()
    buyer_view = order_queries.order_detail(viewer_id=market.buyer.pk, reference=quiet)
    assert [m.body for m in buyer_view.messages] == ["Please leave it with the neighbour."]

    order_service.open_dispute(actor_id=market.buyer.pk, reference=quiet, reason="The parcel never arrived.")
    detail = order_queries.order_detail(viewer_id=support.pk, reference=quiet)
    assert detail.messages_visible and [m.body for m in detail.messages] == ["Please leave it with the neighbour."]
    assert detail.dispute is not None and detail.actions == frozenset()
    finance = order_queries.order_detail(viewer_id=people["finance"].pk, reference=quiet)
    assert finance.actions == {"resolve", "message"}


def test_support_never_acts_on_an_order(people, market, pens, order_service, message_service, review_service, place):
    from marketplace.orders.models import Order

    support = people["support"].pk
    funded, accepted = pens("funded"), pens("accepted")
    shipped, disputed = pens("shipped"), pens("disputed")
    attempts = [
        lambda: order_service.accept(actor_id=support, reference=funded),
        lambda: order_service.decline(actor_id=support, reference=funded),
        lambda: order_service.cancel(actor_id=support, reference=funded),
        lambda: order_service.ship(actor_id=support, reference=accepted),
        lambda: order_service.confirm(actor_id=support, reference=shipped),
        lambda: order_service.open_dispute(actor_id=support, reference=shipped, reason="Support opens it."),
        lambda: order_service.resolve_dispute(staff_id=support, reference=disputed, ruling="refund", note="No."),
        lambda: message_service.post(actor_id=support, reference=shipped, body="Hello."),
        lambda: message_service.post(actor_id=support, reference=disputed, body="Hello."),
        lambda: review_service.leave(actor_id=support, reference=shipped, rating=5),
    ]
    before = dict(Order.objects.values_list("reference", "state"))
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert dict(Order.objects.values_list("reference", "state")) == before


# operations: OPERATE (operator)
def test_reloads_are_for_operators(people, container):
    ops = container.ops.ops_service()
    only({"operator"}, people, lambda user: ops.reload(kind="service", name="order_queries", user=user, via="test"))
    with pytest.raises(PermissionDenied):
        ops.reload(kind="service", name="order_queries", user=None, via="test")
