"""Reading Python source with ``ast``: parsing files and resolving what they import."""

import ast
import io
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Import:
    """One name an import statement binds: ``local`` is ``module.attr`` (or ``module``) in the file."""

    local: str
    module: str  # absolute dotted module
    attr: str | None  # the imported attribute, None for ``import module``
    line: int
    statement: str

    @property
    def target(self) -> str:
        """The dotted thing the name stands for (``shop.models.Order`` or ``shop.models``)."""
        return f"{self.module}.{self.attr}" if self.attr else self.module


def parse(file: Path) -> tuple[ast.Module, str]:
    text = file.read_text(encoding="utf-8")
    return ast.parse(text, filename=str(file)), text


def resolve_relative(module_name: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute module of ``from <level dots><target> import ...`` inside ``module_name``."""
    if level == 0:
        return target or ""
    parts = module_name.split(".")
    package = parts if is_package else parts[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join([*base, target] if target else base)


def imports(tree: ast.AST, module_name: str, is_package: bool, text: str = "") -> list[Import]:
    """Every import in the file (at any depth: lazy imports inside functions count too)."""
    found = []
    # Split as ast does: on \n, \r and \r\n only (str.splitlines also splits on form feeds).
    lines = io.StringIO(text, newline="").readlines()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        statement = _segment(lines, node)
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                module = alias.name if alias.asname else alias.name.split(".")[0]
                found.append(Import(local, module, None, node.lineno, statement))
                if not alias.asname and "." in alias.name:
                    # ``import shop.models`` binds ``shop`` but also needs shop.models itself.
                    found.append(Import(alias.name, alias.name, None, node.lineno, statement))
        else:
            base = resolve_relative(module_name, is_package, node.level, node.module)
            for alias in node.names:
                if alias.name == "*":
                    found.append(Import("*", base, None, node.lineno, statement))
                else:
                    found.append(Import(alias.asname or alias.name, base, alias.name, node.lineno, statement))
    return found


def _segment(lines: list[str], node: ast.stmt) -> str:
    """``ast.get_source_segment`` on lines split once: it splits the whole text on every call."""
    if not lines or node.end_lineno is None:
        return ""
    first, last = node.lineno - 1, node.end_lineno - 1
    if first == last:
        return lines[first].encode()[node.col_offset : node.end_col_offset].decode()
    head = lines[first].encode()[node.col_offset :].decode()
    tail = lines[last].encode()[: node.end_col_offset].decode()
    return "".join([head, *lines[first + 1 : last], tail])


def module_level_imports(tree: ast.Module, module_name: str, is_package: bool, text: str = "") -> dict[str, Import]:
    """Names bound by imports at the top level of the file, by local name."""
    top = ast.Module(body=[n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)], type_ignores=[])
    return {imp.local: imp for imp in imports(top, module_name, is_package, text) if imp.local != "*"}


def owner(dotted: str, packages: dict[str, str]) -> str | None:
    """The label of the app whose package holds ``dotted`` (longest package prefix wins)."""
    best = None
    for package, label in packages.items():
        if dotted == package or dotted.startswith(package + "."):
            if best is None or len(package) > len(best[0]):
                best = (package, label)
    return best[1] if best else None
