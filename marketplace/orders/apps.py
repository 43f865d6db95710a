from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "marketplace.orders"
    label = "orders"
    verbose_name = "Orders"
