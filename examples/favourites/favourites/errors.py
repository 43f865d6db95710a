"""What the favourites service refuses; each message is safe to show to the user.

Kept apart from the service so that views catch the same classes whatever was reloaded.
"""


class FavouriteError(ValueError):
    @property
    def message(self) -> str:
        return str(self)


class UnknownProduct(FavouriteError):
    """No such product, or not one buyers can see (hidden, deleted, its shop closed)."""


class TooManyFavourites(FavouriteError):
    """The user's list is full."""
