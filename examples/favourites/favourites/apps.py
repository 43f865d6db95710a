from django.apps import AppConfig


class FavouritesConfig(AppConfig):
    name = "favourites"
    label = "favourites"
    verbose_name = "Favourites"
    default_auto_field = "django.db.models.BigAutoField"
