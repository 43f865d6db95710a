from modkit.management.reloading import ReloadCommand


class Command(ReloadCommand):
    help = "Reload a module (its code, container and services) on every worker; exit 1 on failure."
    kind = "module"
