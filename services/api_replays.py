"""First answers kept by idempotency key, so a POST sent again answers what it answered first.

Checkout and withdrawals keep their keys in their own services, inside the transaction that moves
the money; this is for the other POSTs that move money (confirming, declining or cancelling an
order, cancelling a withdrawal), which are state transitions: sent twice, the second would be
refused as already done, and a client that lost the first answer to a timeout could not tell
"done" from "refused". With a key, it gets the first answer again.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from services.errors import KeyReused


@dataclass(frozen=True)
class Stored:
    status: int
    payload: dict


def _models():
    from marketplace.api.models import ReplayableRequest

    return ReplayableRequest


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


class ApiReplays:
    def __init__(self, *, clock, keep_hours: int):
        self.clock = clock
        self.keep = timedelta(hours=keep_hours)

    def begin(self, *, user_id: int, key: str, fingerprint: str) -> Stored | None:
        """``None``: this key is new and now taken by the caller, who must ``finish`` or ``abandon``
        it. Otherwise the first answer, or ``KeyReused``."""
        Replay = _models()
        now = self.clock.now()
        Replay.objects.filter(user_id=user_id, created_at__lt=now - self.keep).delete()
        try:
            with transaction.atomic():
                Replay.objects.create(user_id=user_id, key=key, fingerprint=fingerprint, created_at=now)
            return None
        except IntegrityError:
            pass
        first = Replay.objects.filter(user_id=user_id, key=key).values_list("fingerprint", "status", "payload").first()
        if first is None:  # taken and abandoned in between: the caller may send it again
            raise KeyReused(_("This key's first request has just failed: send it again."), field="Idempotency-Key")
        sent, status, payload = first
        if sent != fingerprint:
            raise KeyReused(_("This idempotency key was used for another request."), field="Idempotency-Key")
        if status == 0:
            raise KeyReused(_("The first request with this key is still running."), field="Idempotency-Key")
        return Stored(status=status, payload=payload)

    def finish(self, *, user_id: int, key: str, status: int, payload: dict) -> None:
        _models().objects.filter(user_id=user_id, key=key).update(status=status, payload=payload)

    def abandon(self, *, user_id: int, key: str) -> None:
        """The first request failed on our side: the key is free for the same request again."""
        _models().objects.filter(user_id=user_id, key=key, status=0).delete()
