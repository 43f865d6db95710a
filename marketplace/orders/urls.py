from django.urls import path

from marketplace.orders import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="list"),
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart-add"),
    path("cart/<int:product_id>/", views.cart_update, name="cart-update"),
    path("checkout/", views.checkout, name="checkout"),
    path("sales/", views.sales, name="sales"),
    path("disputes/", views.disputes, name="disputes"),
    path("lookup/", views.lookup, name="lookup"),
    path("<str:reference>/", views.detail, name="detail"),
    # Before the generic action route: a ruling is a staff page of its own.
    path("<str:reference>/resolve/", views.resolve, name="resolve"),
    path("<str:reference>/<slug:action>/", views.act, name="act"),
]
