from django.apps import AppConfig


class WalletsConfig(AppConfig):
    name = "marketplace.wallets"
    label = "wallets"
    verbose_name = "Wallets"

    def ready(self) -> None:
        from marketplace.wallets import checks  # noqa: F401  (registers the deploy checks)
