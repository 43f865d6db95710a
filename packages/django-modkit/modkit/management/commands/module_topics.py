"""``python manage.py module_topics``: the event topics of the enabled modules, as a Markdown table.

Read from the modules' ``publishes`` and ``subscriptions`` declarations, so the list a module
author reads is the one the runtime checks subscriptions against.
"""

from django.core.management.base import BaseCommand

from modkit.current import active


def topics_table(runtime, modules: set[str] | None = None) -> str:
    """The table, of the running modules or of ``modules`` among them."""
    shown = (lambda name: True) if modules is None else modules.__contains__
    handlers: dict[str, list[str]] = {}
    for record in runtime.modules:
        if shown(record.module.name):
            for topic in type(record.module).subscriptions:
                handlers.setdefault(topic, []).append(record.module.name)
    lines = ["| Topic | Published by | Payload | Handled by |", "|---|---|---|---|"]
    for topic, (module, payload) in sorted(runtime.declared_topics().items()):
        if not shown(module):
            continue
        handled = ", ".join(sorted(handlers.get(topic, []))) or "–"
        lines.append(f"| `{topic}` | {module} | {payload} | {handled} |")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Print the event topics the enabled modules publish, their payload and who handles them."

    def add_arguments(self, parser):
        parser.add_argument("--module", action="append", help="only these modules (repeat it for more)")

    def handle(self, *args, **options):
        runtime = active()
        runtime.ensure_started()
        self.stdout.write(topics_table(runtime, set(options["module"]) if options["module"] else None))
