"""The service layer's error hierarchy, translated once at the edge (views, commands).

Kept apart from the service files so a hot reload of a service never changes the classes
the views catch.
"""

import modkit


class ServiceError(Exception):
    """A request the service refuses; the message is safe to show to the user."""

    def __init__(self, message: str, *, field: str | None = None, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors: dict[str, list[str]] = errors or ({field: [message]} if field else {})


class NotFound(ServiceError):
    """The thing asked for does not exist, or is not the caller's to see (views answer 404)."""


class PermissionDenied(ServiceError):
    """The caller may not do this (views answer 403)."""


class Conflict(ServiceError):
    """The request does not fit the current state (a transition already made, a name taken)."""


class ServiceUnavailable(ServiceError, modkit.ServiceUnavailable):
    """A service, or a module it needs, is not serving right now."""


# accounts
class AccountsError(ServiceError):
    """Refusals of the accounts module."""


class RegistrationError(AccountsError):
    """A sign-up refused: ``errors`` names each field at fault."""


class AuthenticationFailed(AccountsError):
    """Wrong username or password (the message never says which)."""


class LoginThrottled(AccountsError):
    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class ProfileError(AccountsError):
    """A profile change refused: ``errors`` names each field at fault."""


class PasswordChangeError(AccountsError):
    """A password change refused: wrong current password, or a weak new one."""


class MailThrottled(AccountsError):
    """Too many account e-mails asked for one address or from one client lately; none sent."""

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class EmailLinkInvalid(AccountsError):
    """An address-verification link that was tampered with, has expired, or was used already."""


class TwoFactorError(AccountsError):
    """A second-factor code refused (wrong, already used, too many tries), or a change to it refused."""


# vendors
class VendorError(ServiceError):
    """Refusals of the vendors module."""


class VendorApplicationError(VendorError):
    """An application to open a shop refused (name, slug, description, or one pending)."""


class VendorStateError(VendorError, Conflict):
    """A staff decision that does not fit the shop's state (approving a suspended shop...)."""


class VendorNotActive(VendorError, PermissionDenied):
    """Only approved shops that are not suspended may list and sell."""


# products
class CatalogError(ServiceError):
    """Refusals of the products module."""


class ProductError(CatalogError):
    """A product's fields refused: ``errors`` names each field at fault."""


class ImageRejected(ProductError):
    """A picture that is not an image, too large, or a decompression bomb."""


class ProductUnavailable(CatalogError):
    """A purchase names a product that is gone, unlisted, or whose shop cannot sell."""

    def __init__(self, message: str, *, product_id: int | None = None):
        super().__init__(message)
        self.product_id = product_id


class OutOfStock(CatalogError):
    def __init__(self, message: str, *, product_id: int, requested: int, available: int):
        super().__init__(message)
        self.product_id = product_id
        self.requested = requested
        self.available = available


class ModerationError(CatalogError):
    """A report or a moderation decision that does not apply."""


# operations
class OpsError(ServiceError):
    """An operations request refused (an unknown module or service to reload...)."""


# wallets
class WalletError(ServiceError):
    """Refusals of the wallets module; nothing was moved."""


class InvalidAmount(WalletError):
    """Not a positive whole number of satoshis within the limits."""


class InsufficientFunds(WalletError):
    """The available balance does not cover the amount."""


class IdempotencyConflict(WalletError):
    """The key was used before for a different request; nothing was moved."""


class InvalidAddress(WalletError):
    """Not a bitcoin address of the configured network."""


class WithdrawalError(WalletError):
    """A withdrawal request or decision refused (minimum, state, owner)."""


class DepositError(WalletError):
    """A deposit that cannot be recorded (amount, transaction reference, address)."""


class EscrowError(WalletError):
    """An escrow movement that does not fit what the order's escrow holds."""


class ChainBackendError(WalletError):
    """The chain backend (a bitcoin node) could not be reached or answered nonsense."""


class ChainRpcError(ChainBackendError):
    """The node answered a JSON-RPC error; ``rpc_code`` is its code (-5: no such transaction)."""

    def __init__(self, message: str, *, rpc_code: int | None = None):
        super().__init__(message)
        self.rpc_code = rpc_code


# orders
class OrderError(ServiceError):
    """Refusals of the orders module."""


class CartError(OrderError):
    """A cart change refused: a quantity out of range or above the stock, one's own product, a full cart."""


class CheckoutError(OrderError):
    """Nothing was bought: the cart is empty, holds the buyer's own product, or prices moved."""


class IllegalTransition(OrderError, Conflict):
    """The order's state (or the actor's role) does not allow that action; nothing changed."""


class OrderChanged(IllegalTransition):
    """Another action changed the order first (two people acted at the same moment)."""


class DisputeError(OrderError):
    """A dispute or a ruling refused: no reason given, an unknown ruling, a split out of range."""


class MessageError(OrderError):
    """A message refused: empty or too long."""


class ReviewError(OrderError):
    """A review refused: a rating out of 1 to 5, text too long, or the order reviewed already."""


# notifications
class NotificationError(ServiceError):
    """A backend could not deliver; never raised into the action that caused the notification."""


# api
class ApiError(ServiceError):
    """Refusals of the API's own: tokens, scopes, keys."""


class InvalidToken(ApiError):
    """No such token, or it was revoked or has expired, or its owner can no longer sign in (401)."""


class InsufficientScope(ApiError, PermissionDenied):
    """The token is good but was not given the scope this operation needs (403)."""

    def __init__(self, message: str, *, scope: str):
        super().__init__(message)
        self.scope = scope


class TokenError(ApiError):
    """A token that cannot be created: no name, an unknown scope, too many tokens."""


class KeyReused(ApiError, Conflict):
    """The idempotency key was used for another request, or its first request is still running (409)."""


class RecentAuthRequired(ApiError, PermissionDenied):
    """A session must have given its password again lately before bitcoin may leave (403)."""


class SecondFactorRequired(ApiError, PermissionDenied):
    """The token's owner has a second factor: a withdrawal needs a current code from it (403)."""


class SecondFactorRejected(ApiError, PermissionDenied):
    """The code sent is wrong, was used already, or the authenticator is locked after wrong codes (403)."""
