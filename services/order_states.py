"""The order state machine as data: which action moves which state, who may take it, what
happens to the money. ``OrderService`` enforces it; pages read it to offer only legal actions.

    FUNDED --accept (vendor)--> ACCEPTED --ship (vendor)--> SHIPPED --confirm (buyer)--> COMPLETED
      |  cancel (buyer)  -> CANCELLED                          |  auto_complete (timeout) -> COMPLETED
      |  decline (vendor) -> DECLINED       ACCEPTED/SHIPPED --dispute (buyer or vendor)--> DISPUTED
      |  expire (timeout) -> EXPIRED                         DISPUTED --resolve (staff)--> RESOLVED

Refusals (cancel, decline, expire) refund the escrow and give the stock back; completion
releases it to the vendor less commission; a ruling refunds, releases or splits it.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

FUNDED = "funded"
ACCEPTED = "accepted"
SHIPPED = "shipped"
COMPLETED = "completed"
CANCELLED = "cancelled"
DECLINED = "declined"
EXPIRED = "expired"
DISPUTED = "disputed"
RESOLVED = "resolved"

# The escrow holds the order's total in these states, and nothing in the others.
OPEN = frozenset({FUNDED, ACCEPTED, SHIPPED, DISPUTED})
CLOSED = frozenset({COMPLETED, CANCELLED, DECLINED, EXPIRED, RESOLVED})
ALL = OPEN | CLOSED

LABELS = {
    FUNDED: gettext_lazy("Paid, waiting for the vendor"),
    ACCEPTED: gettext_lazy("Accepted by the vendor"),
    SHIPPED: gettext_lazy("Shipped"),
    COMPLETED: gettext_lazy("Completed"),
    CANCELLED: gettext_lazy("Cancelled by the buyer"),
    DECLINED: gettext_lazy("Declined by the vendor"),
    EXPIRED: gettext_lazy("Not accepted in time"),
    DISPUTED: gettext_lazy("In dispute"),
    RESOLVED: gettext_lazy("Dispute resolved"),
}

# The labels as they read inside a sentence ("This order is in dispute: ..."): lower case in
# English, but German nouns keep their capitals, so each language says how it reads there.
IN_SENTENCE = {
    FUNDED: pgettext_lazy("order state in a sentence", "paid, waiting for the vendor"),
    ACCEPTED: pgettext_lazy("order state in a sentence", "accepted by the vendor"),
    SHIPPED: pgettext_lazy("order state in a sentence", "shipped"),
    COMPLETED: pgettext_lazy("order state in a sentence", "completed"),
    CANCELLED: pgettext_lazy("order state in a sentence", "cancelled by the buyer"),
    DECLINED: pgettext_lazy("order state in a sentence", "declined by the vendor"),
    EXPIRED: pgettext_lazy("order state in a sentence", "not accepted in time"),
    DISPUTED: pgettext_lazy("order state in a sentence", "in dispute"),
    RESOLVED: pgettext_lazy("order state in a sentence", "dispute resolved"),
}

BUYER = "buyer"
VENDOR = "vendor"
STAFF = "staff"
SYSTEM = "system"


@dataclass(frozen=True)
class Action:
    name: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    verb: str  # "cancelled" (translated lazily): for messages such as "it can no longer be cancelled"
    money: str  # "" | "refund" | "release" | "ruling"
    restock: bool = False


ACTIONS = {
    a.name: a
    for a in (
        Action(
            "accept",
            frozenset({FUNDED}),
            ACCEPTED,
            frozenset({VENDOR}),
            pgettext_lazy("order action, as in: it can no longer be ...", "accepted"),
            "",
        ),
        Action(
            "decline",
            frozenset({FUNDED}),
            DECLINED,
            frozenset({VENDOR}),
            pgettext_lazy("order action, as in: it can no longer be ...", "declined"),
            "refund",
            restock=True,
        ),
        Action(
            "cancel",
            frozenset({FUNDED}),
            CANCELLED,
            frozenset({BUYER}),
            pgettext_lazy("order action, as in: it can no longer be ...", "cancelled"),
            "refund",
            restock=True,
        ),
        Action(
            "expire",
            frozenset({FUNDED}),
            EXPIRED,
            frozenset({SYSTEM}),
            pgettext_lazy("order action, as in: it can no longer be ...", "refunded"),
            "refund",
            restock=True,
        ),
        Action(
            "ship",
            frozenset({ACCEPTED}),
            SHIPPED,
            frozenset({VENDOR}),
            pgettext_lazy("order action, as in: it can no longer be ...", "shipped"),
            "",
        ),
        Action(
            "confirm",
            frozenset({SHIPPED}),
            COMPLETED,
            frozenset({BUYER}),
            pgettext_lazy("order action, as in: it can no longer be ...", "confirmed"),
            "release",
        ),
        Action(
            "auto_complete",
            frozenset({SHIPPED}),
            COMPLETED,
            frozenset({SYSTEM}),
            pgettext_lazy("order action, as in: it can no longer be ...", "completed"),
            "release",
        ),
        Action(
            "dispute",
            frozenset({ACCEPTED, SHIPPED}),
            DISPUTED,
            frozenset({BUYER, VENDOR}),
            pgettext_lazy("order action, as in: it can no longer be ...", "disputed"),
            "",
        ),
        Action(
            "resolve",
            frozenset({DISPUTED}),
            RESOLVED,
            frozenset({STAFF}),
            pgettext_lazy("order action, as in: it can no longer be ...", "resolved"),
            "ruling",
        ),
    )
}

ROLE_NAMES = {
    BUYER: pgettext_lazy("who may act", "the buyer"),
    VENDOR: pgettext_lazy("who may act", "the vendor"),
    STAFF: pgettext_lazy("who may act", "staff"),
    SYSTEM: pgettext_lazy("who may act", "the marketplace"),
}


def label(state: str) -> str:
    """The state's label in the active language, as plain text (JSON answers carry it too)."""
    return str(LABELS.get(state, state))


def in_sentence(state: str) -> str:
    """The state as it reads inside a sentence: ``"in dispute"``."""
    return str(IN_SENTENCE.get(state, state))


def refusal(action: Action, state: str, role: str) -> str | None:
    """Why ``role`` may not take ``action`` on an order in ``state``; None when it may."""
    if role not in action.roles:
        names = [str(ROLE_NAMES[r]) for r in sorted(action.roles)]
        who = names[0]
        for name in names[1:]:
            who = _("%(one)s or %(other)s") % {"one": who, "other": name}
        return _("Only %(who)s can do that.") % {"who": who}
    if state not in action.sources:
        return _("This order is %(state)s: it can no longer be %(done)s.") % {
            "state": in_sentence(state),
            "done": str(action.verb),
        }
    return None


def allowed(state: str, role: str) -> list[str]:
    """The actions ``role`` may take on an order in ``state`` (deadlines aside)."""
    return [name for name, action in ACTIONS.items() if refusal(action, state, role) is None]
