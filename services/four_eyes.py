"""Four eyes on money (maker-checker): who may complete what someone else started.

Pure rules, no database: ``WalletService`` asks them under its row locks, ``WalletQueries`` asks
them to show the queue. A hand-recorded deposit is a proposal until a second person, neither
its proposer nor the person credited, confirms it; a withdrawal is approved by someone other
than the person withdrawing, and by two different people above the configured amount.
"""

from django.utils.translation import gettext as _

from services.errors import PermissionDenied


def approvals_needed(amount_sat: int, *, second_approval_above_sat: int, recorded: int = 1) -> int:
    """How many different approvers a withdrawal of ``amount_sat`` needs.

    ``recorded`` is what was asked when it was requested: a threshold lowered since raises the
    count, one raised since never lowers it (a pending request keeps its stricter rule).
    """
    now = 2 if amount_sat > second_approval_above_sat else 1
    return max(now, int(recorded or 1))


def require_deposit_confirmer(*, actor_id: int, proposer_id: int | None, beneficiary_id: int) -> None:
    if actor_id == proposer_id:
        raise PermissionDenied(_("You proposed this deposit: another member of staff must confirm it."))
    if actor_id == beneficiary_id:
        raise PermissionDenied(_("This deposit credits your own balance: another member of staff must confirm it."))


def require_withdrawal_reviewer(*, actor_id: int, requester_id: int, approver_ids=()) -> None:
    if actor_id == requester_id:
        raise PermissionDenied(
            _("Nobody reviews their own withdrawal: another member of staff must (cancel it instead).")
        )
    if actor_id in approver_ids:
        raise PermissionDenied(
            _("You already approved this withdrawal: the next approval must come from someone else.")
        )


def require_not_own_entry(*, actor_id: int, user_ids) -> None:
    if actor_id in set(user_ids):
        raise PermissionDenied(_("This entry moved your own money: another member of staff must reverse it."))
