"""The favourites module's tests run inside the marketplace, with the module enabled.

Run them from the marketplace's directory, with the module in the list of enabled modules::

    MARKETPLACE_MODULES=accounts,wallets,vendors,products,orders,notifications,favourites \\
        python -m pytest examples/favourites/tests

(``DJANGO_SETTINGS_MODULE=marketplace.settings.test`` comes from the marketplace's pytest
configuration.) pytest-django reads the settings before any conftest is imported, so the list
must be in the environment when pytest starts: setting it from here would come too late.
"""

import pytest

pytest_plugins = ["marketplace.testing"]

ENABLED = "accounts,wallets,vendors,products,orders,notifications,favourites"


def pytest_configure(config):
    from django.conf import settings

    if "favourites" not in settings.MARKETPLACE["modules"]:
        raise pytest.UsageError(
            f"the favourites module is not enabled: run with MARKETPLACE_MODULES={ENABLED} "
            f"(the modules enabled now: {', '.join(settings.MARKETPLACE['modules'])})"
        )
