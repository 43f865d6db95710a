"""Names for generated code: snake case, plurals, identifiers, imports without clashes."""

import builtins
import io
import keyword
import re
import sys
import tokenize

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    return _CAMEL.sub("_", name).replace("-", "_").lower()


def camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\W]+", name) if part)


def plural(noun: str) -> str:
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def singular(noun: str) -> str:
    if noun.endswith("ies"):
        return noun[:-3] + "y"
    if noun.endswith(("ses", "xes", "zes", "ches", "shes")):
        return noun[:-2]
    if noun.endswith("s") and not noun.endswith("ss"):
        return noun[:-1]
    return noun


def identifier(text: str, *, avoid_builtins: bool = True) -> str:
    name = re.sub(r"\W+", "_", str(text)).strip("_").lower() or "value"
    if name[0].isdigit():
        name = "_" + name
    if keyword.iskeyword(name) or (avoid_builtins and hasattr(builtins, name)):
        name += "_"
    return name


def is_stdlib(module: str) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names


class Imports:
    """``from module import name`` lines for a generated file; a clash gets an alias.

    ``use(module, name)`` returns the local name to write in the code.
    """

    def __init__(self, local_packages: set[str] = frozenset()):
        self._by_local: dict[str, tuple[str, str | None]] = {}
        self._local_of: dict[tuple[str, str | None], str] = {}
        self._local_packages = set(local_packages)

    def use(self, module: str, name: str | None = None, *, prefer: str | None = None) -> str:
        key = (module, name)
        if key in self._local_of:
            return self._local_of[key]
        local = prefer or name or module.split(".")[0]
        if local in self._by_local and self._by_local[local] != key:
            local = camel(module.split(".")[0]) + (name or "")
            counter = 2
            while local in self._by_local:
                local = f"{local}{counter}"
                counter += 1
        self._by_local[local] = key
        self._local_of[key] = local
        return local

    def _group(self, module: str) -> int:
        """0 the standard library, 1 third-party packages, 2 the project's own."""
        if is_stdlib(module):
            return 0
        return 2 if module.split(".")[0] in self._local_packages else 1

    def lines(self) -> list[str]:
        groups: dict[int, dict[str, list[str]]] = {0: {}, 1: {}, 2: {}}
        plain: dict[int, list[str]] = {0: [], 1: [], 2: []}
        for local, (module, name) in self._by_local.items():
            group = self._group(module)
            if name is None:
                top = module.split(".")[0]
                plain[group].append(f"import {module}" if local == top else f"import {module} as {local}")
            else:
                groups[group].setdefault(module, []).append(name if local == name else f"{name} as {local}")
        out: list[str] = []
        for group in (0, 1, 2):
            block = sorted(plain[group]) + [
                f"from {module} import {', '.join(sorted(names))}" for module, names in sorted(groups[group].items())
            ]
            out.extend(([""] if out and block else []) + block)
        return out


def double_quoted(code: str) -> str:
    """``'text'`` literals as ``"text"``: ``ast.unparse`` writes the former, the project the latter."""
    lines = code.split("\n")
    for token in reversed(list(tokenize.generate_tokens(io.StringIO(code).readline))):
        text = token.string
        if (
            token.type == tokenize.STRING
            and text.startswith("'")
            and not text.startswith("'" * 3)
            and token.start[0] == token.end[0]
            and '"' not in text
            and "\\" not in text
        ):
            row, col = token.start
            line = lines[row - 1]
            lines[row - 1] = line[:col] + '"' + text[1:-1] + '"' + line[token.end[1] :]
    return "\n".join(lines)
