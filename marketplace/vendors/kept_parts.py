"""The parts of pages kept per person: the header drawn once for them, reused on every shared page.

A signed-in page served from its shared copy (caching.py) still draws the reader's header: their
balance, unread count, shop link and staff menu, about three quarters of what such a page
costs. Here the header is kept per person in the page cache, under the versions of two scopes,
``person:<id>`` and ``roles``, so it is exactly as fresh as the rows it shows:

* ``person:<id>`` is bumped whenever a service announces a change of what that person's header
  shows (services/personal_parts.py: a ledger posting, a notification written or read) and
  when their shop or their own row is saved (signals below, so the admin counts too);
* ``roles`` is bumped by any change of who holds which permission (the staff menu);
* the key holds the language, what of the person's own row the header shows, and which
  modules serve in which generation (the header's entries are theirs).

Kept with it: whether the person ``sees_more`` (caching.py), two queries a page spared. The CSRF
token is kept as a marker and filled in per request, as on the shared page.
"""

from __future__ import annotations

import hashlib

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import get_language

ROLES = "roles"
SIGNALS_ID = "vendors.kept_parts"


def person_scope(user_id: int) -> str:
    return f"person:{user_id}"


def _own_row(user) -> str:
    """What of the person's row a header may show or depend on."""
    seen = (user.pk, user.username, getattr(user, "display_name", ""), user.is_staff, user.is_superuser)
    return hashlib.blake2b(repr(seen).encode(), digest_size=8).hexdigest()


def _serving() -> str:
    from containers import runtime

    serving = []
    for name in runtime.modules.names():
        generation = runtime.generation(name) if runtime.modules.is_ready(name) else None
        serving.append(f"{name}{generation.number}" if generation else "")
    return ",".join(serving)


class KeptParts:
    """One person's kept parts for this request: read once, written back only when something was added."""

    def __init__(self, request, page_cache, sees_more):
        user = request.user
        self._user = user
        self._sees_more = sees_more
        self._cache = page_cache
        self._key = f"person:{get_language()}:{user.pk}:{_own_row(user)}:{_serving()}"
        entry, self._stamp = page_cache.fetch(self._key, (person_scope(user.pk), ROLES))
        valid = isinstance(entry, dict) and isinstance(entry.get("parts"), dict)
        self._entry = entry if valid else {"sees_more": None, "parts": {}}
        self._dirty = False

    def sees_more(self) -> bool:
        if self._entry["sees_more"] is None:
            self._entry = {**self._entry, "sees_more": bool(self._sees_more(self._user))}
            self._dirty = True
        return self._entry["sees_more"]

    def part(self, template_name: str) -> tuple[str, str] | None:
        return self._entry["parts"].get(template_name)

    def keep(self, template_name: str, marker: str, text: str) -> None:
        self._entry = {**self._entry, "parts": {**self._entry["parts"], template_name: (marker, text)}}
        self._dirty = True

    def save(self) -> None:
        if self._dirty:
            self._cache.store(self._key, self._stamp, self._entry)
            self._dirty = False


class PeopleWatch:
    """Bumps the scopes above: told by services (services/personal_parts.py) and by model signals."""

    def __init__(self, *, page_cache, parts):
        self._cache = page_cache
        self._parts = parts
        # Its own names: a reloaded module starts its watch before the old one stops.
        self._id = f"{SIGNALS_ID}.{id(self)}"

    def _receivers(self):
        from django.contrib.auth.models import Group, Permission

        from marketplace.vendors.models import Vendor

        User = get_user_model()
        yield post_save, User, self._own_row_saved
        for signal in (post_save, post_delete):
            yield signal, Vendor, self._own_row_saved
        for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
            yield m2m_changed, through, self._roles_changed
        for model in (Group, Permission):
            # Deleting one drops its rows in the tables above without a signal of theirs.
            yield post_delete, model, self._roles_changed

    def start(self) -> None:
        self._parts.listen(self._id, self.people_changed)
        for signal, sender, receiver in self._receivers():
            signal.connect(receiver, sender=sender, weak=False, dispatch_uid=self._id)

    def stop(self) -> None:
        self._parts.unlisten(self._id)
        for signal, sender, _ in self._receivers():
            signal.disconnect(sender=sender, dispatch_uid=self._id)

    def people_changed(self, user_ids) -> None:
        self._cache.bump_on_commit(person_scope(user_id) for user_id in user_ids)

    def _own_row_saved(self, sender, instance, **_) -> None:
        user_id = getattr(instance, "user_id", None) if sender is not get_user_model() else instance.pk
        if user_id is not None:
            self.people_changed([user_id])

    def _roles_changed(self, action: str = "post_delete", **_) -> None:
        if action.startswith("post_"):
            self._cache.bump_on_commit([ROLES])
