"""Small pieces of generated test code: calls laid out as ``ruff format`` lays them out, and names.

The generated test file must pass ``ruff format --check`` (line length 120) without being run
through the formatter, so a call too long for its line is split the way the formatter splits it:
the arguments on one indented line when they fit there, else one per line with a trailing comma.
"""

WIDTH = 120
BODY_INDENT = 8  # a statement in a test method

# Names the generated file defines or imports itself: a parameter never takes them.
TAKEN = frozenset(
    {
        "self",
        "row",
        "result",
        "saved",
        "before",
        "again",
        "created",
        "created_again",
        "changed",
        "make",
        "build",
        "sample",
        "itertools",
        "uuid",
        "timedelta",
        "timezone",
        "Decimal",
        "TestCase",
        "ModuleRegistry",
    }
)


def call(head: str, args: list[str], *, prefix: str = "", indent: int = BODY_INDENT) -> str:
    """``prefix + head(args)``: on one line when it fits, else split like the formatter does."""
    joined = ", ".join(args)
    one_line = f"{prefix}{head}({joined})"
    if indent + len(one_line) <= WIDTH or not args:
        return one_line
    if indent + 4 + len(joined) <= WIDTH:
        return f"{prefix}{head}(\n    {joined}\n)"
    return f"{prefix}{head}(\n" + "".join(f"    {arg},\n" for arg in args) + ")"


def literal(value) -> str:
    return repr(value)


def is_literal(value) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


class Names:
    """Variable names of one test: parameters first, then the rows and values the test makes."""

    def __init__(self, taken=TAKEN):
        self.used = set(taken)

    def take(self, wanted: str) -> str:
        name, n = wanted, 2
        if name in self.used:
            name = f"{wanted}_value"
        while name in self.used:
            name, n = f"{wanted}_{n}", n + 1
        self.used.add(name)
        return name
