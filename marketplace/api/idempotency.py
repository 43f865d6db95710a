"""The ``Idempotency-Key`` header of POSTs that move money or create an order.

The key goes to the service, whose own idempotency (one checkout per buyer and key, one ledger
entry per key) makes the same key again return the first result: a client that lost the answer
to a timeout sends the same request with the same key, and nothing happens twice.
"""

from ninja import Header
from ninja.params import P

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
