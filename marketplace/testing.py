"""Fixtures for testing a module inside the marketplace: a pytest plugin.

A module's tests (the marketplace's own, or a package's installed with pip) load it from their
``conftest.py`` with ``pytest_plugins = ["marketplace.testing"]`` and run with the marketplace's
test settings (``DJANGO_SETTINGS_MODULE=marketplace.settings.test``). They get the running
system (``container``, ``runtime``, started once per run on the test database) and the people
and things most modules need: users, staff, shops, categories and products, all made through
the real services.
"""

import pytest


@pytest.fixture(scope="session", autouse=True)
def started_runtime(django_db_setup, django_db_blocker):
    """Modules start once per run, on the test database, as on a server's first request.

    pytest-django creates a test database only when a collected test asks for one; the modules
    start on a database whatever runs, so make sure it is a test database, never the real one.
    """
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from containers import runtime

    created = None
    with django_db_blocker.unblock():
        if connection.settings_dict["NAME"] != connection.creation._get_test_db_name():
            created = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        runtime.ensure_started()
    yield runtime
    if created is not None:
        with django_db_blocker.unblock():
            teardown_databases(created, verbosity=0)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Cached pages and catalog data must not leak from one test's rows into the next.
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fresh_reload_history():
    """Each test starts with no reload on record and no remembered health report: a reload
    another test refused on purpose must not leave this one's system DEGRADED."""
    from containers import container, runtime

    runtime.reloads.clear()
    container.core.health_service()._memo.clear()
    yield


@pytest.fixture
def container():
    """The application container: ``container.<module>.<service>()`` builds a service as views get it."""
    from containers import container

    return container


@pytest.fixture
def runtime():
    """The running system: modules, their containers (``runtime.module_container(name)``), reloads, health."""
    from containers import runtime

    return runtime


@pytest.fixture
def make_user(db):
    """``make_user("alice")``: a registered user with a confirmed address (``roles=`` for staff roles)."""
    from containers import container, user_service

    counter = iter(range(1, 10_000))

    def make(username: str | None = None, password: str = "a sturdy passphrase", **extra):
        if "is_staff" in extra:
            raise TypeError("make_user(is_staff=...) is gone: staff hold roles, use make_staff(role) or roles=")
        n = next(counter)
        username = username or f"user{n}"
        user = user_service().register(
            username=username, email=extra.pop("email", f"{username}@example.com"), password=password
        )
        # An established user: their address confirmed, as if they had opened the link.
        if extra.pop("email_verified", True):
            user_service().mark_email_verified(user_id=user.pk)
            user.refresh_from_db()
        if extra.get("roles"):
            roles = extra["roles"]
            names = [r.strip() for r in roles.split(",")] if isinstance(roles, str) else list(roles)
            container.core.staff_access().set_roles(user_id=user.pk, roles=names)
            user.refresh_from_db()
        user.raw_password = password
        return user

    return make


@pytest.fixture
def make_staff(make_user):
    """``make_staff("finance", username=None)``: a user holding those roles (comma-separated or a list)."""
    from containers import container

    def make(roles="operator", username: str | None = None, **extra):
        names = [r.strip() for r in roles.split(",")] if isinstance(roles, str) else list(roles)
        user = make_user(username, **extra)
        container.core.staff_access().set_roles(user_id=user.pk, roles=names)
        user.refresh_from_db()
        return user

    return make


@pytest.fixture
def staff(make_staff):
    """A moderator: reviews shops and listings (``MANAGE_VENDORS``, ``MODERATE_CATALOG``)."""
    return make_staff("moderator", username="staffer")


@pytest.fixture
def vendor_service(container):
    return container.vendors.vendor_service()


@pytest.fixture
def catalog_service(container):
    return container.products.catalog_service()


@pytest.fixture
def catalog_queries(container):
    return container.products.catalog_queries()


@pytest.fixture
def make_vendor(make_user, vendor_service, staff):
    """``make_vendor("bob")``: a user with an approved shop (``status="pending"`` to stop there)."""

    def make(username: str, *, status: str = "approved", shop_name: str | None = None):
        user = make_user(username)
        vendor = vendor_service.apply(
            user_id=user.pk,
            shop_name=shop_name or f"{username.title()}'s Shop",
            slug=f"{username.lower()}-shop",
            description=f"The shop of {username}.",
        )
        if status == "approved":
            vendor = vendor_service.approve(staff_id=staff.pk, vendor_id=vendor.id)
        elif status == "rejected":
            vendor = vendor_service.reject(staff_id=staff.pk, vendor_id=vendor.id, reason="Not enough detail.")
        user.vendor_id = vendor.id
        user.shop_slug = vendor.slug
        return user

    return make


@pytest.fixture
def categories(catalog_service):
    """hardware > tools, lighting; books > fiction."""
    ids = {}
    for name, slug, parent in [
        ("Hardware", "hardware", None),
        ("Tools", "tools", "hardware"),
        ("Lighting", "lighting", "hardware"),
        ("Books", "books", None),
        ("Fiction", "fiction", "books"),
    ]:
        ids[slug] = catalog_service.create_category(name=name, slug=slug, parent_id=ids.get(parent))
    return ids


@pytest.fixture
def make_product(catalog_service, categories):
    """``make_product(vendor_user, title=..., price_sat=..., ...)`` through ``CatalogService``; returns its id."""

    def make(
        owner,
        *,
        title="Brass desk lamp",
        description="A lamp.",
        price_sat=120_000,
        stock=5,
        category="lighting",
        images=(),
        is_active=True,
    ):
        return catalog_service.create_product(
            actor_id=owner.pk,
            title=title,
            description=description,
            price_sat=price_sat,
            stock=stock,
            category_id=categories[category],
            is_active=is_active,
            images=list(images),
        )

    return make
