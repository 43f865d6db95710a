"""The staff page of the design system: every token, every component, in every state."""

from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.shortcuts import render
from django.views.decorators.http import require_GET

from marketplace.access import staff_required
from marketplace.design.forms import SpecimenForm
from marketplace.design.tokens import (
    CSS_FILE,
    TOKENS_FILE,
    TokenError,
    build,
    by_group,
    display_path,
    load_tokens,
)
from marketplace.forms import apply_service_error
from services.errors import ServiceError
from services.staff_access import Capability

ALERTS = [
    (constants.SUCCESS, "Your order is paid: the funds wait in escrow."),
    (constants.INFO, "You are signed out."),
    (constants.WARNING, "Your balance is low: top it up before the next order."),
    (constants.ERROR, "The payment was refused: insufficient funds."),
]
BADGES = [("up", "serving"), ("degraded", "degraded"), ("down", "unavailable")]
ROWS = [
    {
        "order": "#1042",
        "buyer": "alice",
        "vendor": "Bob's Hardware",
        "amount_sat": 150_000,
        "status": ("up", "paid"),
    },
    {
        "order": "#1043",
        "buyer": "alice",
        "vendor": "Carol's Books",
        "amount_sat": 2_500,
        "status": ("degraded", "disputed"),
    },
    {
        "order": "#1044",
        "buyer": "dave",
        "vendor": "Bob's Hardware",
        "amount_sat": 99_000_000,
        "status": ("down", "refunded"),
    },
]


# Operators keep the site's look in order (tokens file, built CSS), like the rest of its machinery.
@staff_required(Capability.OPERATE)
@require_GET
def components(request):
    problems: list[str] = []
    try:
        tokens = load_tokens(TOKENS_FILE)
        stale = not CSS_FILE.exists() or CSS_FILE.read_text(encoding="utf-8") != build(TOKENS_FILE)
    except TokenError as exc:
        tokens, stale, problems = [], False, exc.problems

    invalid = SpecimenForm(SpecimenForm.INVALID)
    invalid.is_valid()
    # A refusal from a service, shown the way every view shows one.
    apply_service_error(invalid, ServiceError("The vendor is not accepting orders right now."))
    valid = SpecimenForm(SpecimenForm.VALID)
    valid.is_valid()

    context = {
        "groups": by_group(tokens),
        "token_problems": problems,
        "stale": stale,
        "tokens_file": display_path(TOKENS_FILE),
        "css_file": display_path(CSS_FILE),
        "forms": [
            ("Empty", "as first shown", SpecimenForm()),
            ("With errors", "sent back with status 400", invalid),
            ("Valid", "every field accepted", valid),
        ],
        "alerts": [Message(level, text) for level, text in ALERTS],
        "badges": BADGES,
        "rows": ROWS,
    }
    return render(request, "design/components.html", context)
