"""How each view changes to call the service instead of the ORM: the lines it had, what replaces them.

A :class:`ViewChange` replaces the lines ``line``..``end_line`` of ``file`` by ``after``; when
``end_line`` is ``line - 1`` (and ``before`` is empty) nothing is replaced: ``after`` is inserted
before ``line``. ``imports`` lists every ``(module, name)`` the new text needs. ``inject`` names
the function or method that must receive the service (``@inject`` and the parameter
``<service>=Provide["<module>.<service>"]``); it is empty when ``after`` declares the injection
itself, as the methods added to generic class-based views do.

``OrmUse.change`` picks the shape:

- ``""``: the use's expression is replaced by the service call (``x.save()`` becomes
  ``x = service.update_x(...)``; a 404 shortcut gets ``try``/``except NotFound: raise Http404``);
- ``get_queryset`` / ``get_object`` / ``form_valid`` / ``delete``: a generic view's implicit
  access; the method that calls the service is added at the end of the class (``anchor``);
- ``super_form_valid``: ``super().form_valid(form)`` saves (or deletes) through the service and
  redirects as Django's own ``form_valid`` does.
"""

import ast
from dataclasses import dataclass, field

INJECT = [("dependency_injector.wiring", "Provide"), ("dependency_injector.wiring", "inject")]
HTTP404 = ("django.http", "Http404")
REDIRECT = ("django.http", "HttpResponseRedirect")


@dataclass
class ViewChange:
    """How one view changes: the lines it had and what replaces them."""

    file: str
    line: int
    end_line: int
    view: str
    before: str
    after: str
    method: str
    imports: list[tuple[str, str]] = field(default_factory=list)  # what ``after`` needs imported
    inject: str = ""  # the function/method to give ``@inject`` and the service parameter ("" if done)
    keeps: str = ""  # the view's access rule, which stays in the view

    def as_dict(self) -> dict:
        found = dict(self.__dict__)
        found["imports"] = [list(i) for i in self.imports]
        return found


@dataclass
class Target:
    """What the view calls: the service variable, its provider id and the not-found error."""

    service_var: str
    provide: str
    not_found: tuple[str, str]
    service_class: tuple[str, str] | None = None  # (module, class) to annotate the parameter with

    def parameter(self) -> str:
        marker = f'Provide["{self.provide}"]'
        if self.service_class:
            return f"{self.service_var}: {self.service_class[1]} = {marker}"
        return f"{self.service_var}={marker}"

    def inject_imports(self) -> list[tuple[str, str]]:
        return INJECT + ([self.service_class] if self.service_class else [])


def view_change(use, method_name: str, call: str, text: str, target: Target) -> ViewChange:
    lines = text.splitlines()
    shape = SHAPES.get(use.change, _replace)
    # (an insertion's ``before`` is empty: lines[line - 1 : line - 1])
    after, imports, inject = shape(use, call, lines, target)
    start, end = _span(use)
    return ViewChange(
        file=use.file,
        line=start,
        end_line=end,
        view=use.view,
        before="\n".join(lines[start - 1 : end]),
        after=after,
        method=method_name,
        imports=imports,
        inject=inject,
        keeps=use.access,
    )


def _span(use) -> tuple[int, int]:
    if use.anchor is not None:  # inserted after the class's last line
        return use.anchor.end_lineno + 1, use.anchor.end_lineno
    return use.first_line, use.last_line


def _owner(use) -> str:
    """The function or method the use is in (what gets ``@inject``)."""
    return use.view


# shapes
def _replace(use, call, lines, target):
    statement = use.statement
    indent = " " * statement.col_offset
    if use.function is None and use.view != "<module>":
        return _class_attribute(use, call, indent, target)
    if use.via == "instance" and use.operation == "save" and isinstance(statement, ast.Expr):
        after = f"{indent}{use.receiver} = {call}"
    else:
        after = replace_span(lines, statement, use.expr, call)
    if use.operation in ("get_or_404", "list_or_404"):
        return _not_found(after, indent, target), [target.not_found, HTTP404], _owner(use)
    return after, [], _owner(use)


def _class_attribute(use, call, indent, target):
    """``queryset = Order.objects...`` is evaluated at import: the view asks the service per request."""
    after = _method(indent, "get_queryset(self, {param})", [f"return {call}"], target)
    return after, target.inject_imports(), ""


def _not_found(after: str, indent: str, target: Target) -> str:
    inner = "\n".join("    " + line for line in after.splitlines())
    error = target.not_found[1]
    return f"{indent}try:\n{inner}\n{indent}except {error}:\n{indent}    raise Http404 from None"


def _method(indent: str, signature: str, body: list[str], target: Target) -> str:
    head = [f"{indent}@inject", f"{indent}def {signature.format(param=target.parameter())}:"]
    return "\n".join(head + [f"{indent}    {line}" if line else "" for line in body])


def _added(use, lines, method_text: str) -> str:
    """A method added at the end of the class body, after a blank line."""
    return f"\n{method_text}"


def _indent_of(use) -> str:
    return " " * use.anchor.body[0].col_offset


def _get_queryset(use, call, lines, target):
    text = _method(_indent_of(use), "get_queryset(self, {param})", [f"return {call}"], target)
    return _added(use, lines, text), target.inject_imports(), ""


def _get_object(use, call, lines, target):
    body = ["try:", f"    return {call}", f"except {target.not_found[1]}:", "    raise Http404 from None"]
    text = _method(_indent_of(use), "get_object(self, queryset=None, {param})", body, target)
    return _added(use, lines, text), target.inject_imports() + [target.not_found, HTTP404], ""


def _form_valid(use, call, lines, target):
    body = [f"self.object = {call}", "return HttpResponseRedirect(self.get_success_url())"]
    text = _method(_indent_of(use), "form_valid(self, form, {param})", body, target)
    return _added(use, lines, text), target.inject_imports() + [REDIRECT], ""


def _delete(use, call, lines, target):
    body = ["success_url = self.get_success_url()", call, "return HttpResponseRedirect(success_url)"]
    text = _method(_indent_of(use), "form_valid(self, form, {param})", body, target)
    return _added(use, lines, text), target.inject_imports() + [REDIRECT], ""


def _super_form_valid(use, call, lines, target):
    """``return super().form_valid(form)``: save through the service, then redirect as Django does."""
    statement = use.statement
    indent = " " * statement.col_offset
    if use.operation == "delete":
        before = [f"{indent}success_url = self.get_success_url()", f"{indent}{call}"]
        redirect = "HttpResponseRedirect(success_url)"
    else:
        before = [f"{indent}self.object = {call}"]
        redirect = "HttpResponseRedirect(self.get_success_url())"
    rest = replace_span(lines, statement, use.expr, redirect)
    return "\n".join([*before, rest]), [REDIRECT], _owner(use)


SHAPES = {
    "get_queryset": _get_queryset,
    "get_object": _get_object,
    "form_valid": _form_valid,
    "delete": _delete,
    "super_form_valid": _super_form_valid,
}


def replace_span(lines: list[str], statement: ast.stmt, expr: ast.AST, replacement: str) -> str:
    """The statement's source with ``expr`` (located by ast's UTF-8 byte offsets) replaced."""
    chunk = [line.encode() for line in lines[statement.lineno - 1 : statement.end_lineno]]
    first = expr.lineno - statement.lineno
    last = expr.end_lineno - statement.lineno
    head = chunk[first][: expr.col_offset]
    tail = chunk[last][expr.end_col_offset :]
    new = chunk[:first] + [head + replacement.encode() + tail] + chunk[last + 1 :]
    return "\n".join(part.decode() for part in new)
