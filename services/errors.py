"""The service layer's error hierarchy, translated once at the edge (views, commands).

Kept apart from the service files so a hot reload of a service never changes the classes
the views catch.
"""


class ServiceError(Exception):
    """A request the service refuses; the message is safe to show to the user."""

    def __init__(self, message: str, *, field: str | None = None, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors: dict[str, list[str]] = errors or ({field: [message]} if field else {})


class NotFound(ServiceError):
    pass


class PermissionDenied(ServiceError):
    pass


class Conflict(ServiceError):
    pass


class ServiceUnavailable(ServiceError):
    pass


# accounts
class AccountsError(ServiceError):
    pass


class RegistrationError(AccountsError):
    pass


class AuthenticationFailed(AccountsError):
    pass


class LoginThrottled(AccountsError):
    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class ProfileError(AccountsError):
    pass


class PasswordChangeError(AccountsError):
    pass


# vendors
class VendorError(ServiceError):
    pass


class VendorApplicationError(VendorError):
    pass


class VendorStateError(VendorError, Conflict):
    """A staff decision that does not fit the shop's state (approving a suspended shop...)."""


class VendorNotActive(VendorError, PermissionDenied):
    """Only approved shops that are not suspended may list and sell."""


# products
class CatalogError(ServiceError):
    pass


class ProductError(CatalogError):
    pass


class ImageRejected(ProductError):
    pass


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
    pass


# operations
class OpsError(ServiceError):
    pass


# wallets
class WalletError(ServiceError):
    pass


class InvalidAmount(WalletError):
    pass


class InsufficientFunds(WalletError):
    pass


class IdempotencyConflict(WalletError):
    """The key was used before for a different request; nothing was moved."""


class InvalidAddress(WalletError):
    pass


class WithdrawalError(WalletError):
    pass


class DepositError(WalletError):
    pass


class EscrowError(WalletError):
    pass


class ChainBackendError(WalletError):
    """The chain backend (a bitcoin node) could not be reached or answered nonsense."""


# orders
class OrderError(ServiceError):
    pass


class CartError(OrderError):
    pass


class CheckoutError(OrderError):
    """Nothing was bought: the cart is empty, holds the buyer's own product, or prices moved."""


class IllegalTransition(OrderError, Conflict):
    """The order's state (or the actor's role) does not allow that action; nothing changed."""


class OrderChanged(IllegalTransition):
    """Another action changed the order first (two people acted at the same moment)."""


class DisputeError(OrderError):
    pass


class MessageError(OrderError):
    pass


class ReviewError(OrderError):
    pass


# notifications
class NotificationError(ServiceError):
    """A backend could not deliver; never raised into the action that caused the notification."""
