"""Demo data for a first look: each ready module adds its own, dependencies first.

Safe to run again: modules skip what already exists.
"""

from django.core.management.base import BaseCommand, CommandError

from containers import runtime


class Command(BaseCommand):
    help = "Load each module's demo data (users, vendors, products, balances...)."

    def handle(self, *args, **options):
        runtime.ensure_started()
        for name in runtime.modules.initialization_order():
            if not runtime.modules.is_ready(name):
                raise CommandError(f"module {name} is not ready: {runtime.modules.record(name).error}")
            for line in runtime.modules.get(name).load_demo_data():
                self.stdout.write(f"{name}: {line}")
