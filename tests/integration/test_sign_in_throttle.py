"""Sign-in throttling (django-axes, counted in the database) through the site's and the admin's
sign-in pages: per (username, client address), a higher ceiling per address, the client's
address read through the configured number of trusted proxies, and no failing open when Redis
is down."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.test import Client, override_settings
from django.urls import reverse

from tests.support.servers import redis_caches

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
ADMIN_LOGIN = reverse("admin:login")
PROFILE = reverse("accounts:profile")
HOME = reverse("home")  # where a sign-in without ``next`` lands
GOOD = "a sturdy passphrase"
LIMIT = settings.AXES_FAILURE_LIMIT
ADDRESS_LIMIT = settings.MARKETPLACE_LOGIN_ADDRESS_LIMIT
WINDOW = settings.MARKETPLACE["accounts"]["login_window_seconds"]


def attempt(client, username, password, *, url=LOGIN, **meta):
    return client.post(url, {"username": username, "password": password}, **meta)


def lock_out(client, username, *, url=LOGIN, **meta):
    """``LIMIT`` wrong passwords: all but the last refused as wrong, the last one locks."""
    for _ in range(LIMIT - 1):
        assert attempt(client, username, "wrong guess", url=url, **meta).status_code in (200, 400)
    locked = attempt(client, username, "wrong guess", url=url, **meta)
    assert locked.status_code == 429
    return locked


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == HOME


def cool_off_passes():
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(seconds=WINDOW + 1))


def test_the_settings_follow_the_environment_variables():
    assert settings.AXES_FAILURE_LIMIT == settings.MARKETPLACE["accounts"]["login_max_attempts"] == LIMIT
    assert settings.AXES_COOLOFF_TIME == timedelta(seconds=WINDOW)
    assert ADDRESS_LIMIT == 4 * LIMIT
    assert settings.AXES_HANDLER == "marketplace.accounts.axes_limits.SignInAttempts"


def test_the_site_login_locks_the_pair_then_lets_it_in_after_the_cool_off(client, make_user):
    make_user("victim")
    locked = lock_out(client, "victim")
    assert b"Too many failed sign-in attempts" in locked.content
    assert int(locked["Retry-After"]) == WINDOW
    refused = attempt(client, "victim", GOOD)  # the right password, too soon
    assert refused.status_code == 429 and int(refused["Retry-After"]) == WINDOW
    assert client.get(PROFILE).status_code == 302  # not signed in
    cool_off_passes()
    assert signed_in(attempt(client, "victim", GOOD))


def test_the_username_is_counted_whatever_its_case(client, make_user):
    make_user("victim")
    for name in ("victim", "VICTIM", "Victim", " victim", "vIcTiM"):
        response = attempt(client, name, "wrong guess")
    assert response.status_code == 429
    assert attempt(client, "victim", GOOD).status_code == 429


def test_no_lockout_from_elsewhere(make_user):
    make_user("victim")
    attacker, owner = Client(REMOTE_ADDR="203.0.113.66"), Client(REMOTE_ADDR="198.51.100.7")
    lock_out(attacker, "victim")
    assert attempt(attacker, "victim", GOOD).status_code == 429
    assert signed_in(attempt(owner, "victim", GOOD))


def test_the_admin_login_is_throttled_too(make_user, make_staff):
    staff = make_staff("operator", username="boss")
    attacker, elsewhere = Client(REMOTE_ADDR="203.0.113.66"), Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(LIMIT - 1):
        assert attempt(attacker, "boss", "wrong guess", url=ADMIN_LOGIN).status_code == 200
    locked = attempt(attacker, "boss", "wrong guess", url=ADMIN_LOGIN)
    assert locked.status_code == 429 and int(locked["Retry-After"]) == WINDOW
    assert locked["Content-Type"].startswith("text/plain") and b"Too many failed sign-in attempts" in locked.content
    # The right password is refused as well, until the cool-off; from elsewhere it is not.
    assert attempt(attacker, "boss", staff.raw_password, url=ADMIN_LOGIN).status_code == 429
    other = attempt(elsewhere, "boss", staff.raw_password, url=ADMIN_LOGIN)
    assert other.status_code == 200 and b"second factor" in other.content  # password right, no authenticator
    # The admin and the site share the count: that pair cannot move over to the site's page.
    assert attempt(attacker, "boss", staff.raw_password).status_code == 429


def test_one_address_trying_many_names_hits_the_higher_ceiling(make_user):
    make_user("victim")
    attacker, elsewhere = Client(REMOTE_ADDR="203.0.113.66"), Client(REMOTE_ADDR="198.51.100.7")
    names = [f"name{i}" for i in range(ADDRESS_LIMIT)]
    for name in names[:-1]:  # one failure per name: no pair comes near its own limit
        assert attempt(attacker, name, "wrong guess").status_code == 400
    assert attempt(attacker, names[-1], "wrong guess").status_code == 429
    # The whole address is paused, even for a name it never tried and the right password.
    assert attempt(attacker, "victim", GOOD).status_code == 429
    assert signed_in(attempt(elsewhere, "victim", GOOD))


def test_a_success_clears_its_own_pair_only(make_user):
    make_user("victim")
    place = Client(REMOTE_ADDR="203.0.113.66")
    for i in range(ADDRESS_LIMIT - 2):  # one failure per name: no pair comes near its own limit
        assert attempt(place, f"name{i}", "wrong guess").status_code == 400
    assert attempt(place, "victim", "wrong guess").status_code == 400  # one short of the address ceiling
    assert signed_in(attempt(place, "victim", GOOD))
    assert not AccessAttempt.objects.filter(username="victim").exists()  # its own pair starts afresh
    place.post(reverse("accounts:logout"))
    # The address keeps the other names' failures: two more reach its ceiling.
    assert attempt(place, "newcomer", "wrong guess").status_code == 400
    assert attempt(place, "newcomer", "wrong guess").status_code == 429


@pytest.mark.parametrize(
    "hops, chain, other_chain",
    [
        # One proxy of ours: it appends the address it saw; anything further left is the client's say.
        (1, "203.0.113.66", "198.51.100.7"),
        (1, "6.6.6.6, 203.0.113.66", "198.51.100.7"),
        # Two proxies: the edge one's view of the client, then the edge proxy as the inner one saw it.
        (2, "203.0.113.66, 10.0.0.2", "198.51.100.7, 10.0.0.2"),
        (2, "1.2.3.4, 203.0.113.66, 10.0.0.2", "198.51.100.7, 10.0.0.2"),
    ],
)
def test_behind_trusted_proxies_each_client_is_counted_apart(make_user, hops, chain, other_chain):
    make_user("victim")
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    with override_settings(MARKETPLACE_TRUSTED_PROXIES=hops):
        client = Client()
        lock_out(client, "victim", HTTP_X_FORWARDED_FOR=chain, **proxy)
        assert AccessAttempt.objects.get().ip_address == "203.0.113.66"
        # Whatever the client writes on the left of the header, it is still the same client.
        forged = f"9.9.9.9, {chain}"
        assert attempt(client, "victim", GOOD, HTTP_X_FORWARDED_FOR=forged, **proxy).status_code == 429
        # Another client behind the same proxy is not locked out with it.
        assert signed_in(attempt(Client(), "victim", GOOD, HTTP_X_FORWARDED_FOR=other_chain, **proxy))


def test_without_proxies_a_forged_forwarded_for_is_ignored(make_user):
    make_user("victim")
    client = Client(REMOTE_ADDR="203.0.113.66")
    for i in range(LIMIT - 1):
        assert attempt(client, "victim", "wrong", HTTP_X_FORWARDED_FOR=f"10.1.1.{i}").status_code == 400
    assert attempt(client, "victim", "wrong", HTTP_X_FORWARDED_FOR="10.2.2.2").status_code == 429
    assert attempt(client, "victim", GOOD, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.66"}


def test_the_lockout_holds_with_redis_down(make_user, private_redis):
    make_user("victim")
    production_like = redis_caches(private_redis.url, ignore_exceptions=True)
    production_like["default"]["BACKEND"] = "marketplace.cache.InstrumentedRedisCache"
    with override_settings(CACHES=production_like):
        cache.set("probe", 1)
        assert cache.get("probe") == 1  # the site's cache is that Redis
        private_redis.stop()
        cache.set("probe", 2)
        assert cache.get("probe") is None  # down, and its errors are swallowed as in production
        client = Client(REMOTE_ADDR="203.0.113.66")
        lock_out(client, "victim")
        assert attempt(client, "victim", GOOD).status_code == 429
        assert signed_in(attempt(Client(REMOTE_ADDR="198.51.100.7"), "victim", GOOD))


def test_attempts_refused_during_a_lockout_add_nothing_to_the_record(make_user):
    make_user("victim")
    client = Client(REMOTE_ADDR="203.0.113.66")
    lock_out(client, "victim")
    before = AccessAttempt.objects.values_list("failures_since_start", "post_data").get()
    for _ in range(10):
        assert attempt(client, "victim", "x" * 100).status_code == 429
    assert AccessAttempt.objects.values_list("failures_since_start", "post_data").get() == before


def test_codes_and_passwords_are_never_stored_with_a_failure(make_user):
    user = make_user("victim")
    client = Client(REMOTE_ADDR="203.0.113.66")
    client.force_login(user)
    client.post(reverse("accounts:reauth"), {"password": "secret-guess-1", "code": "recovery1"})
    stored = AccessAttempt.objects.get().post_data
    assert "secret-guess-1" not in stored and "recovery1" not in stored and "password=" in stored


def test_a_request_without_a_readable_address_is_still_counted(make_user):
    make_user("victim")
    client = Client(REMOTE_ADDR="")  # e.g. a server bound to a Unix socket
    lock_out(client, "victim")
    assert attempt(client, "victim", GOOD).status_code == 429
    assert AccessAttempt.objects.get().ip_address == "0.0.0.0"
