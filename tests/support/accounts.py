"""Accounts in tests: a signed-in client that also counts as having just given its password."""

import time

from django.test import Client

from marketplace.accounts.reauth import SESSION_KEY


def signed_in_recently(client: Client) -> Client:
    """Mark ``client``'s session (already signed in, e.g. by ``force_login``) as re-authenticated
    now, as the ``accounts:reauth`` page does, so ``@recent_auth_required`` pages open at once."""
    session = client.session
    session[SESSION_KEY] = int(time.time())
    session.save()
    return client
