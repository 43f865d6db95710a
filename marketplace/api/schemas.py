"""Shapes every router shares: amounts (satoshis with a BTC string), pages."""

from ninja import Schema

from services.money import format_btc


def btc(sats: int | None) -> str | None:
    return None if sats is None else format_btc(sats)


class Page(Schema):
    page: int
    pages: int
    count: int
    next_page: int | None
    previous_page: int | None


def page_of(result, items: list) -> dict:
    return {
        "items": items,
        "page": result.number,
        "pages": result.num_pages,
        "count": result.count,
        "next_page": result.number + 1 if result.has_next else None,
        "previous_page": result.number - 1 if result.has_previous else None,
    }


class Done(Schema):
    ok: bool = True
