"""What a Python file imports, read with ``ast``: for tests of the project's structure."""

import ast
from pathlib import Path


def imports_of(path: Path, *, type_only: bool = True) -> set[str]:
    """Every module the file imports, at any depth (lazy imports count); ``type_only=False`` leaves
    out what is imported under ``if TYPE_CHECKING:``, which never runs."""
    tree = ast.parse(path.read_text())
    skipped = set()
    if not type_only:
        skipped = {
            id(n)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for child in node.body
            for n in ast.walk(child)
        }
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found
