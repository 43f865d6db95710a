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
    FUNDED: "Paid, waiting for the vendor",
    ACCEPTED: "Accepted by the vendor",
    SHIPPED: "Shipped",
    COMPLETED: "Completed",
    CANCELLED: "Cancelled by the buyer",
    DECLINED: "Declined by the vendor",
    EXPIRED: "Not accepted in time",
    DISPUTED: "In dispute",
    RESOLVED: "Dispute resolved",
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
    verb: str  # "cancelled": for messages such as "it can no longer be cancelled"
    money: str  # "" | "refund" | "release" | "ruling"
    restock: bool = False


ACTIONS = {
    a.name: a
    for a in (
        Action("accept", frozenset({FUNDED}), ACCEPTED, frozenset({VENDOR}), "accepted", ""),
        Action("decline", frozenset({FUNDED}), DECLINED, frozenset({VENDOR}), "declined", "refund", restock=True),
        Action("cancel", frozenset({FUNDED}), CANCELLED, frozenset({BUYER}), "cancelled", "refund", restock=True),
        Action("expire", frozenset({FUNDED}), EXPIRED, frozenset({SYSTEM}), "refunded", "refund", restock=True),
        Action("ship", frozenset({ACCEPTED}), SHIPPED, frozenset({VENDOR}), "shipped", ""),
        Action("confirm", frozenset({SHIPPED}), COMPLETED, frozenset({BUYER}), "confirmed", "release"),
        Action("auto_complete", frozenset({SHIPPED}), COMPLETED, frozenset({SYSTEM}), "completed", "release"),
        Action("dispute", frozenset({ACCEPTED, SHIPPED}), DISPUTED, frozenset({BUYER, VENDOR}), "disputed", ""),
        Action("resolve", frozenset({DISPUTED}), RESOLVED, frozenset({STAFF}), "resolved", "ruling"),
    )
}

ROLE_NAMES = {BUYER: "the buyer", VENDOR: "the vendor", STAFF: "staff", SYSTEM: "the marketplace"}


def label(state: str) -> str:
    return LABELS.get(state, state)


def refusal(action: Action, state: str, role: str) -> str | None:
    """Why ``role`` may not take ``action`` on an order in ``state``; None when it may."""
    if role not in action.roles:
        who = " or ".join(ROLE_NAMES[r] for r in sorted(action.roles))
        return f"Only {who} can do that."
    if state not in action.sources:
        return f"This order is {label(state).lower()}: it can no longer be {action.verb}."
    return None


def allowed(state: str, role: str) -> list[str]:
    """The actions ``role`` may take on an order in ``state`` (deadlines aside)."""
    return [name for name, action in ACTIONS.items() if refusal(action, state, role) is None]
