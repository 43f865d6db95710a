"""The text of a migrated app's test file: one ``django.test.TestCase`` class for its module and service.

A ``TestCase`` inside the app's package is found by ``manage.py test <app>`` (what the staged
verification runs) and by pytest-django alike. The class checks the module (registry validation,
start and health), builds the service through the generated container in ``setUp`` and holds one
test per behaviour of each service method (:mod:`~modkit.modularize.testgen`). The helpers that
make rows follow the class, and only those the tests use.
"""

import re
import textwrap

from modkit.modularize.layout import MARKER
from modkit.modularize.naming import Imports, double_quoted
from modkit.modularize.testcode import WIDTH
from modkit.modularize.testgen import TestFile

MAKE = '''

_serial = itertools.count(1)
_TEXTS = {
    "CharField": "sample-{n}",
    "TextField": "sample-{n}",
    "SlugField": "sample-{n}",
    "EmailField": "sample{n}@example.com",
    "URLField": "https://example.com/{n}",
    "FileField": "sample-{n}.txt",
    "FilePathField": "sample-{n}.txt",
    "GenericIPAddressField": "127.0.0.1",
}
_VALUES = {
    "BooleanField": lambda n: True,
    "DecimalField": Decimal,
    "FloatField": float,
    "DateField": lambda n: timezone.now().date(),
    "DateTimeField": lambda n: timezone.now(),
    "TimeField": lambda n: timezone.now().time(),
    "DurationField": lambda n: timedelta(seconds=n),
    "UUIDField": lambda n: uuid.uuid4(),
    "JSONField": lambda n: {},
    "BinaryField": lambda n: b"sample",
}


def make(model, **values):
    """Save a row of ``model``: the given values, a valid sample for every other required field."""
    return model._default_manager.create(**_filled(model, values))


def _filled(model, values):
    for field in model._meta.concrete_fields:
        if field.name not in values and field.attname not in values and _required(field):
            values[field.name] = sample(model, field.name)
    return values


def _required(field):
    if field.auto_created or getattr(field, "generated", False) or field.null or field.has_default():
        return False
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return False
    return not (field.primary_key and field.get_internal_type().endswith("AutoField"))


def sample(model, name):
    """A value the field ``name`` of ``model`` accepts: a valid choice, a saved related row, a fresh value."""
    field = model._meta.get_field(name)
    if field.many_to_many:
        return [make(field.related_model)]
    if field.is_relation:
        return make(field.related_model)
    if field.choices:
        return field.flatchoices[0][0]
    n = next(_serial)
    kind = field.get_internal_type()
    if kind in _TEXTS:
        text = _TEXTS[kind].format(n=n)
        limit = getattr(field, "max_length", None) or len(text)
        return text if len(text) <= limit else str(n)[-limit:]
    if kind.endswith("IntegerField") or kind.endswith("AutoField"):
        return n
    if kind in _VALUES:
        return _VALUES[kind](n)
    raise TypeError(f"no sample value for {model.__name__}.{name} ({kind})")
'''

BUILD = '''

def build(model, **values):
    """An unsaved row of ``model``, filled as ``make()`` fills it."""
    return model(**_filled(model, values))
'''

MAKE_IMPORTS = (
    ("itertools", None),
    ("uuid", None),
    ("datetime", "timedelta"),
    ("decimal", "Decimal"),
    ("django.utils", "timezone"),
)


def _uses(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w.]){name}\(", text) is not None


def helpers(text: str, imports: Imports) -> str:
    """The helper functions the tests in ``text`` call, and their imports."""
    if not any(_uses(text, name) for name in ("make", "sample", "build")):
        return ""
    for module, name in MAKE_IMPORTS:
        imports.use(module, name)
    return MAKE + (BUILD if _uses(text, "build") else "")


def _head(plan, tests: TestFile) -> list[str]:
    subject = f"The {plan.name} module" + (f" and {plan.service_class}" if plan.service_class else "")
    head = [f'"""{subject} on the test database ({MARKER}).']
    if len(head[0]) > WIDTH - 3:  # the marker on a line of its own keeps the line short
        head = [f'"""{subject} on the test database', f"({MARKER})."]
    if not tests.untested:
        return head[:-1] + [head[-1] + '"""']
    head += ["", "Not exercised here (test them by hand):"]
    for entry in tests.untested:
        head += textwrap.wrap(entry, width=110, initial_indent="- ", subsequent_indent="  ")
    return head + ['"""']


def _module_tests(plan, imports: Imports) -> list[str]:
    registry = imports.use("modkit", "ModuleRegistry")
    module = imports.use(plan.module_import, plan.module_class)
    for dep in plan.dependency_classes:
        imports.use(*dep)
    container = f"{imports.use(plan.module_import, plan.container_class)}()" if plan.service_class else ""
    return [
        "def test_the_module_passes_the_registry_validation(self):",
        f"    registry = {registry}([{', '.join(plan.registry_members)}])",
        "    registry.validate()",
        f"    self.assertEqual(registry.initialization_order()[-1], {plan.name!r})",
        "",
        "def test_the_module_starts_and_is_healthy(self):",
        f"    module = {module}({container})",
        "    self.assertTrue(module.initialize())",
        '    self.assertEqual(module.get_module_health()["status"], "UP")',
    ]


def _service_tests(plan, tests: TestFile, imports: Imports) -> tuple[list[str], list[str]]:
    """(``setUp``, the tests of the service)."""
    container = imports.use(plan.module_import, plan.container_class)
    service = imports.use(plan.service_import, plan.service_class)
    setup = ["def setUp(self):", f"    self.service = {container}().{plan.service_name}()", ""]
    body = ["", "def test_the_container_builds_the_service(self):"]
    body.append(f"    self.assertIsInstance(self.service, {service})")
    for case in tests.cases:
        lines = [part for line in case.lines for part in line.split("\n")]
        body += ["", f"def {case.name}(self):"] + [f"    {line}" if line else "" for line in lines]
    return setup, body


def test_file(plan, tests: TestFile, imports: Imports) -> str:
    test_case = imports.use("django.test", "TestCase")
    subject = plan.service_class or plan.module_class
    members = _module_tests(plan, imports)
    if plan.service_class:
        setup, cases = _service_tests(plan, tests, imports)
        members = setup + members + cases
    else:
        cases = []
    extra = helpers("\n".join(cases), imports)
    text = _head(plan, tests) + [""] + imports.lines() + ["", ""]
    doc = f'    """What {subject} does, on the test database."""'
    doc = doc if len(doc) <= WIDTH else '    """One test per behaviour, on the test database."""'
    text += [f"class {subject}Tests({test_case}):", doc, ""]
    text += [f"    {line}" if line else "" for line in members]
    return double_quoted("\n".join(text) + "\n" + extra)
