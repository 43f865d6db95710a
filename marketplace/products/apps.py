from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "marketplace.products"
    label = "products"
    verbose_name = "Products"
