"""ReviewService: one review per completed order by its buyer; storefronts show the average."""

import pytest

from marketplace.orders.models import Review
from services.errors import IllegalTransition, NotFound, PermissionDenied, ReviewError

pytestmark = pytest.mark.django_db


def test_the_buyer_reviews_a_completed_order_once_and_the_storefront_follows(
    market, order_in, review_service, vendor_service
):
    ref = order_in("completed")
    slug = market.vendor.shop_slug
    assert vendor_service.storefront(slug=slug).rating.label == "No reviews yet"  # now cached
    review_service.leave(actor_id=market.buyer.pk, reference=ref, rating=4, text="Good lamp.")
    assert vendor_service.storefront(slug=slug).rating.label == "4.0 / 5 from 1 review"
    with pytest.raises(ReviewError, match="already reviewed"):
        review_service.leave(actor_id=market.buyer.pk, reference=ref, rating=1)
    assert Review.objects.get().rating == 4


def test_only_the_buyer_only_when_completed_and_only_valid_ratings(market, order_in, review_service, make_user):
    shipped, done = order_in("shipped"), order_in("completed")
    with pytest.raises(IllegalTransition, match="once it is completed"):
        review_service.leave(actor_id=market.buyer.pk, reference=shipped, rating=5)
    with pytest.raises(PermissionDenied):
        review_service.leave(actor_id=market.vendor.pk, reference=done, rating=5)
    with pytest.raises(NotFound):
        review_service.leave(actor_id=make_user("stranger").pk, reference=done, rating=5)
    for rating in (0, 6, "5", 4.5, True, None):
        with pytest.raises(ReviewError) as caught:
            review_service.leave(actor_id=market.buyer.pk, reference=done, rating=rating)
        assert "rating" in caught.value.errors
    assert not Review.objects.exists()
