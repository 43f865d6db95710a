"""CartService: a persistent cart across shops, at today's prices, two queries whatever its size."""

import pytest

from marketplace.orders.models import CartItem
from services.errors import CartError, NotFound

pytestmark = pytest.mark.django_db


def test_lines_add_up_group_by_shop_and_outlive_the_session(market, make_vendor, make_product, cart_service):
    other = make_vendor("other")
    book = make_product(other, title="A Wizard of Earthsea", price_sat=18_000, stock=2, category="fiction")
    cart_service.add(user_id=market.buyer.pk, product_id=market.lamp)
    cart_service.add(user_id=market.buyer.pk, product_id=market.lamp, quantity=2)
    cart_service.add(user_id=market.buyer.pk, product_id=book)
    view = cart_service.contents(user_id=market.buyer.pk)
    assert [(g.vendor_name, [(li.title, li.quantity) for li in g.lines]) for g in view.groups] == [
        ("Other's Shop", [("A Wizard of Earthsea", 1)]),
        ("Vendor's Shop", [("Brass desk lamp", 3)]),
    ]
    assert view.total_sat == 18_000 + 360_000 and view.count == 4 and view.ready
    assert CartItem.objects.filter(user=market.buyer).count() == 2  # in the database, not the session


def test_contents_take_two_queries_whatever_the_size(market, bulk_products, cart_service, django_assert_num_queries):
    from marketplace.products.models import Product

    bulk_products(market.vendor, 30)
    for pid in Product.objects.filter(title__startswith="Item").values_list("pk", flat=True)[:30]:
        cart_service.add(user_id=market.buyer.pk, product_id=pid)
    with django_assert_num_queries(2):
        view = cart_service.contents(user_id=market.buyer.pk)
    assert len(view.lines) == 30


def test_stock_own_products_and_bad_input_are_refused(market, cart_service, fund):
    with pytest.raises(CartError, match="Only 3 of Japanese pull saw left"):
        cart_service.add(user_id=market.buyer.pk, product_id=market.saw, quantity=4)
    cart_service.add(user_id=market.buyer.pk, product_id=market.saw, quantity=2)
    with pytest.raises(CartError, match="Only 3"):
        cart_service.add(user_id=market.buyer.pk, product_id=market.saw, quantity=2)
    with pytest.raises(CartError, match="your own product"):
        cart_service.add(user_id=market.vendor.pk, product_id=market.lamp)
    for junk in (0, -1, 1000, True, "2", None):
        with pytest.raises(CartError):
            cart_service.add(user_id=market.buyer.pk, product_id=market.lamp, quantity=junk)
    for junk in (999_999, "1", None, -3):
        with pytest.raises(NotFound):
            cart_service.add(user_id=market.buyer.pk, product_id=junk)
    assert cart_service.contents(user_id=market.buyer.pk).count == 2


def test_quantities_change_and_lines_go(market, cart_service):
    cart_service.add(user_id=market.buyer.pk, product_id=market.lamp)
    cart_service.set_quantity(user_id=market.buyer.pk, product_id=market.lamp, quantity=4)
    assert cart_service.contents(user_id=market.buyer.pk).count == 4
    with pytest.raises(CartError):
        cart_service.set_quantity(user_id=market.buyer.pk, product_id=market.lamp, quantity=6)
    cart_service.set_quantity(user_id=market.buyer.pk, product_id=market.lamp, quantity=0)
    assert cart_service.contents(user_id=market.buyer.pk).groups == ()
    with pytest.raises(NotFound):
        cart_service.remove(user_id=market.buyer.pk, product_id=market.lamp)


def test_a_line_no_longer_for_sale_is_shown_with_its_problem(market, cart_service, catalog_service):
    cart_service.add(user_id=market.buyer.pk, product_id=market.lamp)
    cart_service.add(user_id=market.buyer.pk, product_id=market.saw, quantity=3)
    catalog_service.delete_product(actor_id=market.vendor.pk, product_id=market.lamp)
    from marketplace.products.models import Product

    Product.objects.filter(pk=market.saw).update(stock=1)
    view = cart_service.contents(user_id=market.buyer.pk)
    assert not view.ready
    assert view.problems == [
        "Brass desk lamp: No longer for sale: remove it to check out.",
        "Japanese pull saw: Only 1 left: lower the quantity to check out.",
    ]
    assert view.total_sat == 3 * 60_000


def test_the_cart_holds_a_bounded_number_of_lines(market, bulk_products, cart_service, marketplace_config, container):
    from marketplace.products.models import Product

    bulk_products(market.vendor, 3)
    ids = list(Product.objects.filter(title__startswith="Item").values_list("pk", flat=True))
    with marketplace_config(orders={"cart_max_lines": 2}, reload=["cart_service"]):
        carts = container.orders.cart_service()
        carts.add(user_id=market.buyer.pk, product_id=ids[0])
        carts.add(user_id=market.buyer.pk, product_id=ids[1])
        with pytest.raises(CartError, match="at most 2 different products"):
            carts.add(user_id=market.buyer.pk, product_id=ids[2])
