"""The text of the files a migration writes: module, service, test. Project conventions throughout."""

from modkit.modularize.layout import MARKER
from modkit.modularize.naming import Imports, double_quoted
from modkit.modularize.testfile import test_file as test_file  # the test file's text lives there


def module_file(plan) -> str:
    imports = Imports(local_packages={plan.module_import.split(".")[0], plan.service_import.split(".")[0]})
    imports.use("modkit", "BaseModule")
    imports.use("modkit", "module")
    lines = [
        f'"""{plan.title}: the {plan.app.label} app as a module ({MARKER})."""',
        "",
    ]
    body: list[str] = []
    if plan.models:
        imports.use("django.apps", "apps")
        body += [f"MODELS = {tuple(plan.models)!r}", ""]  # one blank line after the imports, as isort wants
    if plan.service_class:
        imports.use("dependency_injector", "containers")
        imports.use("dependency_injector", "providers")
        imports.use(plan.service_import, plan.service_class)
        body += [
            "",
            f"class {plan.container_class}(containers.DeclarativeContainer):",
            f"    {plan.service_name} = providers.Factory({plan.service_class})",
            "",
        ]
    deps = ", ".join(repr(d) for d in plan.dependencies)
    body += [
        "",
        "@module(",
        f"    name={plan.name!r},",
        '    version="1.0.0",',
        f"    description={plan.description!r},",
        f"    author={plan.author!r},",
        f"    dependencies=[{deps}],",
        ")",
        f"class {plan.module_class}(BaseModule):",
    ]
    attrs = []
    if plan.service_class:
        attrs.append(f"    container_class = {plan.container_class}")
    if plan.urls:
        attrs.append(f"    urls = {plan.urls!r}")
        attrs.append(f"    url_prefix = {plan.url_prefix!r}")
    if plan.wire:
        attrs.append(f"    wire = ({', '.join(repr(w) for w in plan.wire)},)")
    if not attrs and not plan.models:
        attrs.append(f'    """{plan.title} has no models and no pages: a name other modules can depend on."""')
    body += attrs
    if plan.models:
        body += [
            "",
            "    def initialize(self) -> bool:",
            "        self._tables()  # refuse to serve on a database without the app's tables",
            "        return True",
            "",
            "    def health_checks(self):",
            '        return {"tables": self._tables}',
            "",
            "    @staticmethod",
            "    def _tables() -> dict:",
            "        found = {}",
            "        for label in MODELS:",
            "            model = apps.get_model(label)",
            "            model._default_manager.exists()  # raises when the table is missing",
            "            found[label] = model._meta.db_table",
            "        return found",
        ]
    return double_quoted("\n".join(lines + imports.lines() + [""] + body) + "\n")


def service_file(plan) -> str:
    builder = plan.builder
    if plan.view_changes:
        summary = [f'"""{plan.title}: what the {plan.app.label} app\'s views did to its models ({MARKER}).']
    else:
        summary = [
            f'"""{plan.title}: reads of the {plan.app.label} app\'s models ({MARKER}; its views',
            "never used them directly: add the app's use cases here).",
        ]
    head = summary + [
        "",
        "A plain class (no container import): each method is one use case, with keyword-only",
        "arguments; a method that writes more than once does it in one transaction.",
        '"""',
        "",
    ]
    doc = f'The {plan.name} module\'s use cases; views receive it by injection:\n    ``Provide["{plan.provide}"]``.'
    body = builder.render_class(plan.service_class, doc)
    return double_quoted("\n".join(head + builder.imports.lines() + ["", ""] + body) + "\n")
