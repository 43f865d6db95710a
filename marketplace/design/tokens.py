"""Design tokens: read from ``tokens.toml``, checked, compiled into CSS custom properties.

Every group has one kind of value, checked strictly so a typo fails the build rather than the
page: colours (hex, ``rgb()``/``hsl()``, ``transparent``), lengths with a known unit, unitless
numbers, font stacks (lists of family names), shadows. A value ``"{group.name}"`` refers to
another token of the same kind and compiles to ``var(--group-name)``.
"""

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
TOKENS_FILE = PACKAGE / "tokens.toml"
CSS_FILE = PACKAGE.parent / "static" / "marketplace" / "tokens.css"

LENGTH_UNITS = ("px", "rem", "em", "%", "vw", "vh", "vmin", "vmax", "ch", "ex", "pt")
GROUP_KINDS = {
    "color": "colour",
    "space": "length",
    "text": "length",
    "radius": "length",
    "font": "font",
    "line-height": "number",
    "weight": "number",
    "shadow": "shadow",
}
REQUIRED_GROUPS = ("color", "space", "text", "radius", "font")
GENERIC_FONTS = {
    "serif",
    "sans-serif",
    "monospace",
    "cursive",
    "fantasy",
    "system-ui",
    "ui-serif",
    "ui-sans-serif",
    "ui-monospace",
    "ui-rounded",
    "math",
    "emoji",
    "-apple-system",
}

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_REFERENCE = re.compile(r"^\{([a-z0-9-]+)\.([a-z0-9-]+)\}$")
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_NUMBER = r"-?(?:\d+(?:\.\d+)?|\.\d+)"
_COLOUR_FUNCTION = re.compile(
    rf"^(rgb|rgba|hsl|hsla)\(\s*{_NUMBER}(?:deg|%)?(?:\s*[, ]\s*{_NUMBER}%?){{2}}"
    rf"(?:\s*[,/]\s*{_NUMBER}%?)?\s*\)$"
)
_LENGTH = re.compile(rf"^({_NUMBER})([a-zA-Z%]*)$")
_UNSAFE = re.compile(r"[;{}<>\\\"'\n\r]")


class TokenError(Exception):
    """Everything wrong with a tokens file, each problem naming the token."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: invalid design tokens:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class Token:
    group: str
    name: str
    kind: str
    css: str  # the value as CSS
    raw: object  # the value as written
    reference: str | None = None  # "color.surface" when the value refers to another token

    @property
    def custom_property(self) -> str:
        return f"--{self.group}" if self.name == "default" else f"--{self.group}-{self.name}"

    @property
    def key(self) -> str:
        return f"{self.group}.{self.name}"


def load_tokens(path: Path = TOKENS_FILE) -> list[Token]:
    shown = display_path(path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise TokenError(shown, ["the file does not exist"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise TokenError(shown, [f"not valid TOML: {exc}"]) from None
    return parse_tokens(data, source=shown)


def parse_tokens(data: dict, *, source: str = "tokens") -> list[Token]:
    problems: list[str] = []
    tokens: list[Token] = []
    invalid: set[str] = set()  # reported already: a reference to one adds nothing
    for group in REQUIRED_GROUPS:
        if group not in data:
            problems.append(f"missing required group [{group}]")
    for group, values in data.items():
        kind = GROUP_KINDS.get(group)
        if kind is None:
            problems.append(f"unknown group [{group}] (known: {', '.join(GROUP_KINDS)})")
            continue
        if not isinstance(values, dict) or not values:
            problems.append(f"[{group}] must be a table of tokens")
            continue
        for name, value in values.items():
            key = f"{group}.{name}"
            if not _NAME.match(str(name)):
                problems.append(f"{key}: a name is lower case letters, digits and '-'")
                invalid.add(key)
                continue
            if isinstance(value, dict):
                problems.append(f"{key}: a nested table is not a token")
                invalid.add(key)
                continue
            reference = _REFERENCE.match(value) if isinstance(value, str) else None
            if reference:
                tokens.append(Token(group, name, kind, "", value, f"{reference[1]}.{reference[2]}"))
                continue
            css, problem = _to_css(kind, value)
            if problem:
                problems.append(f"{key}: {problem}")
                invalid.add(key)
            else:
                tokens.append(Token(group, name, kind, css, value))
    tokens = _resolve_references(tokens, problems, invalid)
    if problems:
        raise TokenError(source, problems)
    return tokens


def _resolve_references(tokens: list[Token], problems: list[str], invalid: set[str]) -> list[Token]:
    by_key = {t.key: t for t in tokens}
    resolved = []
    for token in tokens:
        if token.reference is None:
            resolved.append(token)
            continue
        target = by_key.get(token.reference)
        if token.reference in invalid:
            continue
        if target is None:
            problems.append(f"{token.key}: refers to {token.reference}, which is not defined")
        elif target.key == token.key:
            problems.append(f"{token.key}: refers to itself")
        elif target.kind != token.kind:
            problems.append(f"{token.key}: a {token.kind} cannot refer to {target.key}, a {target.kind}")
        else:
            resolved.append(
                Token(
                    token.group,
                    token.name,
                    token.kind,
                    f"var({target.custom_property})",
                    token.raw,
                    token.reference,
                )
            )
    return resolved


def _to_css(kind: str, value) -> tuple[str, str]:
    """(css, "") or ("", what is wrong)."""
    if kind == "font":
        return _font(value)
    if kind == "number":
        return _number(value)
    if not isinstance(value, str):
        return "", f"{value!r} must be a string"
    rule = {"colour": _colour, "length": _length, "shadow": _shadow}.get(kind)
    return rule(value, value.strip()) if rule else ("", f"no rule for {kind}")


def _number(value) -> tuple[str, str]:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return "", f"{value!r} is not a positive number"
    return (str(int(value)) if float(value).is_integer() else repr(float(value))), ""


def _colour(value: str, text: str) -> tuple[str, str]:
    if _HEX.match(text) or _COLOUR_FUNCTION.match(text.lower()) or text.lower() in ("transparent", "currentcolor"):
        return text.lower() if text.startswith("#") else text, ""
    return "", f"{value!r} is not a colour (use #rgb, #rrggbb, #rrggbbaa, rgb(...), hsl(...) or transparent)"


def _length(value: str, text: str) -> tuple[str, str]:
    match = _LENGTH.match(text)
    if not match:
        return "", f"{value!r} is not a length (a number and a unit, e.g. 1rem or 8px)"
    number, unit = match.groups()
    if not unit:
        return ("0", "") if float(number) == 0 else ("", f"{value!r} needs a unit ({', '.join(LENGTH_UNITS)})")
    if unit not in LENGTH_UNITS:
        return "", f"unknown unit {unit!r} in {value!r} (use {', '.join(LENGTH_UNITS)})"
    return text, ""


def _shadow(value: str, text: str) -> tuple[str, str]:
    if not text or _UNSAFE.search(text):
        return "", f"{value!r} is not a safe CSS value"
    return text, ""


def _font(value) -> tuple[str, str]:
    if not isinstance(value, list) or not value:
        return "", f"{value!r} must be a list of font family names"
    families = []
    for family in value:
        if not isinstance(family, str) or not family.strip() or _UNSAFE.search(family):
            return "", f"{family!r} is not a font family name"
        family = family.strip()
        plain = re.match(r"^-?[A-Za-z][A-Za-z0-9-]*$", family)
        families.append(family if plain or family in GENERIC_FONTS else f'"{family}"')
    return ", ".join(families), ""


def compile_css(tokens: list[Token], *, source: str) -> str:
    lines = [
        f"/* Generated by `python manage.py update_design` from {source}: do not edit.",
        " * Change the tokens and run the command again; CI fails when this file is stale. */",
        ":root {",
    ]
    group = None
    for token in tokens:
        if token.group != group:
            if group is not None:
                lines.append("")
            lines.append(f"  /* {token.group} */")
            group = token.group
        lines.append(f"  {token.custom_property}: {token.css};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def display_path(path: Path) -> str:
    """The path as the project names it (``marketplace/design/tokens.toml``), machine-independent."""
    path = Path(path).resolve()
    root = PACKAGE.parent.parent
    return str(path.relative_to(root)) if path.is_relative_to(root) else path.name


def build(tokens_file: Path = TOKENS_FILE) -> str:
    return compile_css(load_tokens(tokens_file), source=display_path(tokens_file))


def by_group(tokens: list[Token]) -> dict[str, list[Token]]:
    groups: dict[str, list[Token]] = {}
    for token in tokens:
        groups.setdefault(token.group, []).append(token)
    return groups
