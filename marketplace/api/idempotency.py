"""The ``Idempotency-Key`` header of POSTs that move money or create an order.

Checkout and withdrawals require it (``IdempotencyKey``) and give it to their service, whose own
idempotency (one checkout per buyer and key, one withdrawal per user and key) makes the same key
again return the first result: a client that lost the answer to a timeout sends the same request
with the same key, and nothing happens twice. The other POSTs that move money (confirm, decline,
cancel) take it optionally (``@replayable``): their first answer is kept by key
(``services/api_replays.py``) and given again.
"""

import functools
import inspect
import json

from dependency_injector.wiring import Provide, inject
from django.http import HttpResponse
from ninja import Header, Status
from ninja.params import P

from marketplace.api import errors
from services.api_replays import ApiReplays, fingerprint
from services.errors import ServiceError

KEY_HEADER = "Idempotency-Key"

# For an operation's signature: ``key: IdempotencyKey``.
IdempotencyKey = Header[
    str,
    P(
        alias=KEY_HEADER,
        min_length=1,
        max_length=64,
        pattern=r"^[\x21-\x7e]+$",
        description="Any printable text (1 to 64 characters, no spaces) unique to this request; "
        "send the same key again to retry it safely.",
    ),
]


# For POSTs where the key may be sent: with it, the same request again answers the first answer.
OptionalKey = Header[
    str | None,
    P(
        alias=KEY_HEADER,
        min_length=1,
        max_length=64,
        pattern=r"^[\x21-\x7e]+$",
        description="Optional: any printable text (1 to 64 characters, no spaces) unique to this request; "
        "the same key again answers what the first request answered.",
    ),
]
REPLAYED_HEADER = "Idempotent-Replayed"
REPLAYS = Provide["api.api_replays"]


def _plain(value):
    # Full precision for datetimes: a replay must render exactly as the first answer did.
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


@inject
def _replays(replays: ApiReplays = REPLAYS) -> ApiReplays:
    return replays


def replayable(handler):
    """An operation whose answer is kept by ``Idempotency-Key`` (under ``@router.post``, over
    ``@injected``). Refusals are kept too: the same key always gets the same answer."""
    signature = inspect.signature(handler)
    added = [
        inspect.Parameter("idempotency_key", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=OptionalKey),
        # ninja hands an operation the response it will send when a parameter is annotated so.
        inspect.Parameter("replay_response", inspect.Parameter.KEYWORD_ONLY, annotation=HttpResponse),
    ]

    @functools.wraps(handler)
    def keyed(request, *args, idempotency_key: str | None = None, replay_response=None, **kwargs):
        if idempotency_key is None:
            return handler(request, *args, **kwargs)
        user_id = request.principal.user_id
        replays = _replays()
        print_ = fingerprint(request.method, request.path, request.body)
        first = replays.begin(user_id=user_id, key=idempotency_key, fingerprint=print_)
        replay_response[REPLAYED_HEADER] = "true" if first is not None else "false"
        if first is not None:
            return Status(first.status, first.payload)
        try:
            result = handler(request, *args, **kwargs)
        except ServiceError as error:
            status, payload = errors.status_of(error), errors.payload_of(error)
        except BaseException:
            replays.abandon(user_id=user_id, key=idempotency_key)
            raise
        else:
            status, payload = (result.status_code, result.value) if isinstance(result, Status) else (200, result)
        replays.finish(
            user_id=user_id, key=idempotency_key, status=status, payload=json.loads(json.dumps(payload, default=_plain))
        )
        return Status(status, payload)

    del keyed.__wrapped__
    keyed.__signature__ = signature.replace(parameters=[*signature.parameters.values(), *added])
    return keyed
