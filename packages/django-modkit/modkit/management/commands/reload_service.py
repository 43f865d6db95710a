from modkit.management.reloading import ReloadCommand


class Command(ReloadCommand):
    help = "Reload one service (its code and configuration) on every worker; exit 1 on failure."
    kind = "service"
