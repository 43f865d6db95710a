"""Orders: checkout into escrow, the state machine, timeouts and dispute rulings.

Each use case is one ``transaction.atomic()``: the order's rows, its stock, its ledger entry (the
wallets' escrow primitives run inside it) and its audit event commit together or not at all.
A transition is a conditional update (``UPDATE ... WHERE state = <the state it was read in>``):
when two people act at once, one update finds the row already moved, changes nothing, and its
caller gets ``OrderChanged``. Notifications go out through ``events.publish``, after commit.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from itertools import groupby
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from marketplace.orders.models import CartItem, Checkout, Dispute, Order, OrderEvent, OrderLine
from services import order_states as states
from services.errors import (
    CheckoutError,
    DisputeError,
    IllegalTransition,
    InsufficientFunds,
    OrderChanged,
    OrderError,
)
from services.money import format_btc
from services.order_parties import order_for
from services.staff_access import Capability
from services.text_rules import clean_text, text_errors

if TYPE_CHECKING:
    from services.catalog_service import CatalogService
    from services.ports import Clock, Events
    from services.staff_access import StaffAccess
    from services.wallet_queries import WalletQueries
    from services.wallet_service import WalletService

log = logging.getLogger(__name__)

BPS = 10_000
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U to misread
KEY_MAX = 64
NOTE_MAX = 1000
TRACKING_MAX = 500
REASON_MIN = 10
REASON_MAX = 2000
RULINGS = ("refund", "release", "split")


@dataclass(frozen=True)
class CheckoutResult:
    checkout_id: int
    total_sat: int
    references: tuple[str, ...]
    replayed: bool = False


@dataclass(frozen=True)
class TransitionResult:
    reference: str
    from_state: str
    to_state: str
    entry_id: int | None = None


@dataclass(frozen=True)
class TimeoutReport:
    completed: tuple[str, ...] = ()
    expired: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class _Settlement:
    """What leaves the escrow and where; ``None`` amounts leave the order's columns alone."""

    kind: str  # refund | release | split
    refunded_sat: int = 0
    payout_sat: int = 0
    commission_sat: int = 0


def new_reference() -> str:
    return "ORD-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


class OrderService:
    def __init__(
        self,
        *,
        wallet_service: WalletService,
        wallet_queries: WalletQueries,
        catalog_service: CatalogService,
        events: Events,
        clock: Clock,
        access: StaffAccess,
        commission_bps: int,
        accept_timeout_days: int,
        auto_finalize_days: int,
    ):
        self._wallets = wallet_service
        self._balances = wallet_queries
        self._catalog = catalog_service
        self._events = events
        self._clock = clock
        self._access = access  # StaffAccess: who among staff may see or rule on an order
        self.commission_bps = int(commission_bps)
        self.accept_timeout_days = int(accept_timeout_days)
        self.auto_finalize_days = int(auto_finalize_days)

    def get_required_config(self) -> dict:
        """The settings this service runs on, checked: a bad value stops the module at start."""
        if not 0 <= self.commission_bps <= BPS:
            raise ValueError(f"orders.commission_bps must be 0 to {BPS}, not {self.commission_bps}")
        for name in ("accept_timeout_days", "auto_finalize_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"orders.{name} must be at least 1, not {getattr(self, name)}")
        return {
            "commission_bps": self.commission_bps,
            "accept_timeout_days": self.accept_timeout_days,
            "auto_finalize_days": self.auto_finalize_days,
        }

    # checkout
    def checkout(
        self,
        *,
        buyer_id: int,
        idempotency_key: str,
        expected_total_sat: int | None = None,
        items: Mapping[int, int] | None = None,
    ) -> CheckoutResult:
        """Buy the cart (or ``items``): one order per vendor, stock reserved, each order's total
        held in its escrow, the cart emptied; all in one transaction, or nothing.

        The key makes it happen once: the same key again returns the first checkout.
        ``expected_total_sat`` is what the buyer saw; if prices moved since, nothing is bought.
        """
        key = _key(idempotency_key)
        if expected_total_sat is not None and (
            isinstance(expected_total_sat, bool) or not isinstance(expected_total_sat, int)
        ):
            raise CheckoutError(
                _("This checkout form is invalid; reload the page and try again."), field="expected_total_sat"
            )
        try:
            with transaction.atomic():
                return self._checkout(buyer_id, key, expected_total_sat, items)
        except IntegrityError:
            # The key was used before, or by a concurrent request that committed first (a double
            # click): the checkout row, inserted first, ran into the unique index. No lookup
            # before it: that cost every checkout a round trip to spare a rare replay one.
            existing = Checkout.objects.filter(buyer_id=buyer_id, idempotency_key=key).first()
            if existing is None:
                raise
            return _checkout_result(existing, replayed=True)
        except InsufficientFunds as refused:
            total = getattr(refused, "checkout_total", None)
            if total is None:
                raise
            # Read once everything is rolled back: earlier orders of this checkout are unpaid again.
            balance = self._balances.get_balance(user_id=buyer_id).available_sat
            raise InsufficientFunds(
                _(
                    "Insufficient funds: this checkout costs %(total)s BTC and your available balance is "
                    "%(balance)s BTC. Deposit %(missing)s BTC more, or remove something from your cart."
                )
                % {
                    "total": format_btc(total),
                    "balance": format_btc(balance),
                    "missing": format_btc(max(total - balance, 1)),
                },
            ) from None

    def _checkout(self, buyer_id, key, expected_total_sat, items) -> CheckoutResult:
        now = self._clock.now()
        # First, so a concurrent replay of this key waits here (unique index) rather than
        # reserving stock it would have to give back.
        checkout = Checkout.objects.create(buyer_id=buyer_id, idempotency_key=key, total_sat=0, created_at=now)
        cart_ids: list[int] = []
        if items is None:
            cart = list(CartItem.objects.select_for_update().filter(user_id=buyer_id).order_by("pk"))
            if not cart:
                raise CheckoutError(_("Your cart is empty."))
            cart_ids = [line.pk for line in cart]
            wanted = {line.product_id: line.quantity for line in cart}
        else:
            wanted = dict(items)
            if not wanted:
                raise CheckoutError(_("Nothing to buy."))
        lines = self._catalog.reserve_stock(items=wanted)
        own = [line.title for line in lines if line.vendor_user_id == buyer_id]
        if own:
            raise CheckoutError(
                _("You cannot buy from your own shop: remove %(title)s from your cart.") % {"title": own[0]}
            )
        total = sum(line.total_sat for line in lines)
        if expected_total_sat is not None and total != expected_total_sat:
            raise CheckoutError(
                _(
                    "Prices or quantities changed since you looked: the total is now %(total)s BTC, "
                    "not %(expected)s BTC. Review your cart and check out again."
                )
                % {"total": format_btc(total), "expected": format_btc(int(expected_total_sat))}
            )
        references = []
        accept_by = now + timedelta(days=self.accept_timeout_days)
        ordered = sorted(lines, key=lambda line: (line.vendor_id, line.product_id))
        for vendor_id, group in groupby(ordered, key=lambda line: line.vendor_id):
            group = list(group)
            order = Order.objects.create(
                reference=new_reference(),
                checkout=checkout,
                buyer_id=buyer_id,
                vendor_id=vendor_id,
                state=states.FUNDED,
                total_sat=sum(line.total_sat for line in group),
                commission_bps=self.commission_bps,
                accept_by=accept_by,
                created_at=now,
                updated_at=now,
            )
            OrderLine.objects.bulk_create(
                [
                    OrderLine(
                        order=order,
                        product_id=line.product_id,
                        title=line.title,
                        price_sat=line.price_sat,
                        quantity=line.quantity,
                    )
                    for line in group
                ]
            )
            try:
                entry = self._wallets.hold(
                    buyer_id=buyer_id,
                    order_ref=order.reference,
                    amount_sat=order.total_sat,
                    idempotency_key=f"{order.reference}:hold",
                )
            except InsufficientFunds as refused:
                refused.checkout_total = total  # said in the buyer's terms once rolled back (above)
                raise
            OrderEvent.objects.create(
                order=order,
                actor_id=buyer_id,
                from_state="",
                to_state=states.FUNDED,
                note="Paid into escrow.",
                entry_id=entry.entry_id,
                created_at=now,
            )
            self._announce(
                order,
                vendor_user_id=group[0].vendor_user_id,
                action="place",
                actor_id=buyer_id,
                from_state="",
                to_state=states.FUNDED,
                note="",
            )
            references.append(order.reference)
        Checkout.objects.filter(pk=checkout.pk).update(total_sat=total)
        if cart_ids:
            CartItem.objects.filter(pk__in=cart_ids).delete()
        return CheckoutResult(checkout_id=checkout.pk, total_sat=total, references=tuple(references))

    # the state machine
    def accept(self, *, actor_id: int, reference: str) -> TransitionResult:
        from marketplace.vendors.models import Vendor
        from services.errors import VendorNotActive

        order, role = order_for(reference, actor_id, self._access)
        now = self._clock.now()
        if order.state == states.FUNDED and role == states.VENDOR and now > order.accept_by:
            raise IllegalTransition(
                _("Too late: this order had to be accepted by %(deadline)s UTC; the buyer is being refunded.")
                % {"deadline": f"{order.accept_by:%Y-%m-%d %H:%M}"}
            )
        with transaction.atomic():
            if order.state == states.FUNDED and role == states.VENDOR:
                # Read under the lock VendorService.suspend takes: an acceptance racing a
                # suspension lands before it or is refused. What the shop already accepted it
                # may still ship, refund and dispute: only new commitments stop.
                shop = (
                    Vendor.objects.select_for_update()
                    .filter(pk=order.vendor_id)
                    .values("status", "suspended_at", "suspension_reason")
                    .first()
                )
                if shop is not None and shop["suspended_at"] is not None:
                    raise VendorNotActive(
                        _(
                            "Your shop is suspended, so it cannot accept new orders (the reason given: "
                            "%(reason)s). Decline this one to refund the buyer now."
                        )
                        % {"reason": shop["suspension_reason"]}
                    )
                if shop is None or shop["status"] != Vendor.Status.APPROVED:
                    raise VendorNotActive(
                        _(
                            "Your shop is not open, so it cannot accept new orders. Decline this one to refund the "
                            "buyer now."
                        )
                    )
            return self._apply(order, "accept", actor_id=actor_id, role=role, fields={"accepted_at": now})

    def decline(self, *, actor_id: int, reference: str, reason: str = "") -> TransitionResult:
        order, role = order_for(reference, actor_id, self._access)
        return self._apply(
            order,
            "decline",
            actor_id=actor_id,
            role=role,
            note=_note(reason, "reason", NOTE_MAX),
            settlement=_refund(order),
        )

    def cancel(self, *, actor_id: int, reference: str, reason: str = "") -> TransitionResult:
        order, role = order_for(reference, actor_id, self._access)
        return self._apply(
            order,
            "cancel",
            actor_id=actor_id,
            role=role,
            note=_note(reason, "reason", NOTE_MAX),
            settlement=_refund(order),
        )

    def ship(self, *, actor_id: int, reference: str, tracking_note: str = "") -> TransitionResult:
        tracking = _note(tracking_note, "tracking_note", TRACKING_MAX)
        order, role = order_for(reference, actor_id, self._access)
        now = self._clock.now()
        return self._apply(
            order,
            "ship",
            actor_id=actor_id,
            role=role,
            note=tracking,
            fields={
                "shipped_at": now,
                "tracking_note": tracking,
                "auto_complete_at": now + timedelta(days=self.auto_finalize_days),
            },
        )

    def confirm(self, *, actor_id: int, reference: str) -> TransitionResult:
        order, role = order_for(reference, actor_id, self._access)
        return self._apply(order, "confirm", actor_id=actor_id, role=role, settlement=_release(order))

    # disputes
    def open_dispute(self, *, actor_id: int, reference: str, reason: str) -> TransitionResult:
        """Buyer or vendor, on an accepted or shipped order: the auto-complete clock stops."""
        reason = clean_text(reason if isinstance(reason, str) else "")
        problems = text_errors(reason, max_length=REASON_MAX, min_length=REASON_MIN, required=True, plain=False)
        if problems:
            raise DisputeError(_("Say what went wrong, so staff can rule on it."), errors={"reason": problems})
        order, role = order_for(reference, actor_id, self._access)
        now = self._clock.now()
        if order.state == states.SHIPPED and order.auto_complete_at and now >= order.auto_complete_at:
            raise IllegalTransition(
                _("The time to dispute this order ended on %(deadline)s UTC; it completes automatically.")
                % {"deadline": f"{order.auto_complete_at:%Y-%m-%d %H:%M}"}
            )
        with transaction.atomic():
            result = self._apply(
                order, "dispute", actor_id=actor_id, role=role, note=reason, fields={"auto_complete_at": None}
            )
            Dispute.objects.create(
                order=order, opened_by_id=actor_id, opened_from=order.state, reason=reason, opened_at=now
            )
        return result

    def resolve_dispute(
        self,
        *,
        staff_id: int,
        reference: str,
        ruling: str,
        note: str,
        buyer_percent: int | None = None,
    ) -> TransitionResult:
        """A ruling by staff holding ``RULE_DISPUTES`` (finance): refund the buyer, release to the
        vendor, or split by percentage.

        One ledger entry; the order ends RESOLVED with the ruling recorded. A full refund of an
        order that never shipped gives its stock back."""
        staff = self._access.require(staff_id, Capability.RULE_DISPUTES)
        errors = {}
        if ruling not in RULINGS:
            errors["ruling"] = [_("Choose refund, release or split.")]
        if ruling == "split" and (
            isinstance(buyer_percent, bool) or not isinstance(buyer_percent, int) or not 1 <= buyer_percent <= 99
        ):
            errors["buyer_percent"] = [_("For a split, give the buyer's share as a whole percentage from 1 to 99.")]
        note = clean_text(note if isinstance(note, str) else "")
        problems = text_errors(note, max_length=REASON_MAX, min_length=5, required=True, plain=False)
        if problems:
            errors["note"] = problems
        if errors:
            raise DisputeError(_("Please correct the ruling."), errors=errors)
        order, role = order_for(reference, staff, self._access)
        dispute = Dispute.objects.filter(order=order).first()
        if ruling == "refund":
            settlement = _refund(order)
        elif ruling == "release":
            settlement = _release(order)
        else:
            settlement = _split(order, buyer_percent)
        restock = ruling == "refund" and dispute is not None and dispute.opened_from == states.ACCEPTED
        with transaction.atomic():
            result = self._apply(
                order, "resolve", actor_id=staff, role=role, note=note, settlement=settlement, restock=restock
            )
            Dispute.objects.filter(order=order).update(
                ruling=ruling,
                buyer_percent=buyer_percent if ruling == "split" else None,
                resolution_note=note,
                resolved_by_id=staff,
                resolved_at=self._clock.now(),
            )
        return result

    # timeouts
    def process_timeouts(self, *, limit: int = 500) -> TimeoutReport:
        """Refund what was not accepted in time and complete what was shipped long enough ago.

        Safe to run at the same moment on several machines: each order is taken under a row
        lock with SKIP LOCKED (another runner holding it skips it) and moved by a conditional
        update, so it is settled exactly once; running it again finds nothing left to do."""
        now = self._clock.now()
        expired, completed, failed = [], [], []
        due = [
            ("expire", states.FUNDED, "accept_by", expired),
            ("auto_complete", states.SHIPPED, "auto_complete_at", completed),
        ]
        for action, state, deadline, done in due:
            ids = list(
                Order.objects.filter(state=state, **{f"{deadline}__lte": now})
                .order_by(deadline, "pk")
                .values_list("pk", flat=True)[:limit]
            )
            for pk in ids:
                try:
                    with transaction.atomic():
                        order = (
                            Order.objects.select_for_update(skip_locked=True, of=("self",))
                            .select_related("vendor")
                            .filter(pk=pk, state=state, **{f"{deadline}__lte": now})
                            .first()
                        )
                        if order is None:
                            continue  # another runner has it, or it moved meanwhile
                        settlement = _refund(order) if action == "expire" else _release(order)
                        self._apply(
                            order,
                            action,
                            actor_id=None,
                            role=states.SYSTEM,
                            settlement=settlement,
                            note=_timeout_note(action, self),
                        )
                    done.append(order.reference)
                except Exception as exc:  # one bad order must not hold up the others
                    log.exception("order timeout %s failed for order id %s", action, pk)
                    failed.append((str(pk), f"{type(exc).__name__}: {exc}"))
        return TimeoutReport(completed=tuple(completed), expired=tuple(expired), failed=tuple(failed))

    # helpers
    def _apply(
        self,
        order: Order,
        name: str,
        *,
        actor_id,
        role: str,
        note: str = "",
        fields=None,
        settlement: _Settlement | None = None,
        restock: bool | None = None,
    ) -> TransitionResult:
        action = states.ACTIONS[name]
        why = states.refusal(action, order.state, role)
        if why:
            raise IllegalTransition(why)
        now = self._clock.now()
        values = {"state": action.target, "updated_at": now, **(fields or {})}
        if settlement is not None:
            values.update(
                closed_at=now,
                refunded_sat=settlement.refunded_sat,
                vendor_payout_sat=settlement.payout_sat,
                commission_sat=settlement.commission_sat,
            )
        with transaction.atomic():
            moved = Order.objects.filter(pk=order.pk, state=order.state).update(**values)
            if not moved:
                now_state = Order.objects.filter(pk=order.pk).values_list("state", flat=True).first()
                raise OrderChanged(
                    _("This order changed meanwhile: it is now %(state)s. Nothing was done.")
                    % {"state": states.in_sentence(now_state)}
                )
            entry = self._settle(order, settlement) if settlement is not None else None
            if action.restock if restock is None else restock:  # a ruling decides for itself
                self._catalog.restore_stock(items=list(order.lines.values_list("product_id", "quantity")))
            OrderEvent.objects.create(
                order=order,
                actor_id=actor_id,
                from_state=order.state,
                to_state=action.target,
                note=note,
                entry_id=entry.entry_id if entry else None,
                created_at=now,
            )
            self._announce(
                order,
                vendor_user_id=order.vendor.user_id,
                action=name,
                actor_id=actor_id,
                from_state=order.state,
                note=note,
                to_state=action.target,
            )
        return TransitionResult(
            reference=order.reference,
            from_state=order.state,
            to_state=action.target,
            entry_id=entry.entry_id if entry else None,
        )

    def _settle(self, order: Order, settlement: _Settlement):
        ref, buyer, vendor = order.reference, order.buyer_id, order.vendor.user_id
        if settlement.kind == "refund":
            return self._wallets.refund(
                order_ref=ref, buyer_id=buyer, amount_sat=order.total_sat, idempotency_key=f"{ref}:refund"
            )
        if settlement.kind == "release":
            return self._wallets.release(
                order_ref=ref,
                vendor_id=vendor,
                commission_bps=order.commission_bps,
                amount_sat=order.total_sat,
                idempotency_key=f"{ref}:release",
            )
        return self._wallets.split(
            order_ref=ref,
            buyer_id=buyer,
            vendor_id=vendor,
            buyer_sat=settlement.refunded_sat,
            commission_bps=order.commission_bps,
            idempotency_key=f"{ref}:split",
        )

    def _announce(
        self, order: Order, *, vendor_user_id: int, action: str, actor_id, from_state: str, to_state: str, note: str
    ) -> None:
        self._events.publish(
            "orders.changed",
            reference=order.reference,
            order_id=order.pk,
            buyer_id=order.buyer_id,
            vendor_user_id=vendor_user_id,
            actor_id=actor_id,
            action=action,
            from_state=from_state,
            to_state=to_state,
            total_sat=order.total_sat,
            note=note,
        )


def _refund(order: Order) -> _Settlement:
    return _Settlement("refund", refunded_sat=order.total_sat)


def _release(order: Order) -> _Settlement:
    commission = order.total_sat * order.commission_bps // BPS
    return _Settlement("release", payout_sat=order.total_sat - commission, commission_sat=commission)


def _split(order: Order, buyer_percent: int) -> _Settlement:
    to_buyer = order.total_sat * buyer_percent // 100
    if not 0 < to_buyer < order.total_sat:
        raise DisputeError(
            _("This order (%(total)s BTC) is too small to split %(percent)s%%: refund or release it instead.")
            % {"total": format_btc(order.total_sat), "percent": buyer_percent},
            field="buyer_percent",
        )
    to_vendor = order.total_sat - to_buyer
    commission = to_vendor * order.commission_bps // BPS
    return _Settlement("split", refunded_sat=to_buyer, payout_sat=to_vendor - commission, commission_sat=commission)


def _timeout_note(action: str, service: OrderService) -> str:
    if action == "expire":
        return f"Not accepted within {service.accept_timeout_days} day(s): refunded automatically."
    return f"Completed automatically {service.auto_finalize_days} day(s) after shipping."


def _key(value) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > KEY_MAX or not value.isprintable():
        raise CheckoutError(_("This checkout form is invalid; reload the page and try again."), field="idempotency_key")
    return value


def _note(value, field: str, limit: int) -> str:
    text = clean_text(value if isinstance(value, str) else "")
    problems = text_errors(text, max_length=limit, plain=False)
    if problems:
        raise OrderError(_("Please correct the note."), errors={field: problems})
    return text


def _checkout_result(checkout: Checkout, *, replayed: bool) -> CheckoutResult:
    references = tuple(checkout.orders.order_by("pk").values_list("reference", flat=True))
    return CheckoutResult(
        checkout_id=checkout.pk, total_sat=checkout.total_sat, references=references, replayed=replayed
    )
