"""The API's JSON bodies: what ``json.loads`` reads, less strings that are not text.

JSON may escape half of a UTF-16 surrogate pair on its own (``"\\ud800"``): ``json.loads`` turns
it into a ``str`` that cannot be encoded, which the database refuses when it is stored (a 500).
The pages never see one (a form's bytes are decoded with replacement), so the API refuses such a
body the way ninja refuses any body it cannot parse: 400, before it reaches a service.
"""

import re

from ninja.parser import Parser

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def strings_in(data):
    """Every string of a parsed JSON document, keys included (iteratively: nesting is unbounded)."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


class JsonParser(Parser):
    def parse_body(self, request):
        data = super().parse_body(request)
        if any(_LONE_SURROGATE.search(text) for text in strings_in(data)):
            raise ValueError("a string holds a lone UTF-16 surrogate (\\ud800-\\udfff): it is not text")
        return data
