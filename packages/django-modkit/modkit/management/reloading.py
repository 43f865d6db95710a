"""What ``reload_module`` and ``reload_service`` share: ask every worker, print each answer.

With Redis (the runtime's ``cluster`` broadcasting) the serving workers apply the reload and this
command prints their answers; without, it applies the reload in its own process.
"""

import getpass
import json

from django.core.management.base import BaseCommand, CommandError


class ReloadCommand(BaseCommand):
    kind = ""

    def add_arguments(self, parser):
        parser.add_argument("name", help=f"the {self.kind} to reload")
        parser.add_argument(
            "--wait", type=float, default=None, help="seconds to wait for the workers' answers (default: settings)"
        )
        parser.add_argument("--json", action="store_true", help="print the outcome as JSON")

    def handle(self, *args, **options):
        from modkit.cluster import Cluster
        from modkit.current import active

        runtime = active()
        # The project's own cluster when it made one; otherwise one from MODKIT_CLUSTER and REDIS_URL.
        cluster = getattr(runtime, "cluster", None) or Cluster(runtime)
        name = options["name"]
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        if not cluster.broadcasting:
            runtime.ensure_started()
        try:
            # With Redis the workers do it; this process serves nobody. Without Redis it is the
            # only process the command can reach, so the reload is applied (and checked) here.
            outcome = cluster.reload(
                self.kind,
                name,
                requested_by=user,
                via="command",
                apply_here=not cluster.broadcasting,
                wait=options["wait"],
            )
        except KeyError as exc:
            raise CommandError(str(exc.args[0])) from None
        if options["json"]:
            self.stdout.write(json.dumps(outcome.as_dict(), default=str, indent=2))
        else:
            self._describe(outcome)
        if not outcome.ok:
            raise CommandError(f"{self.kind} {name} was not reloaded everywhere: {outcome.error}")

    def _describe(self, outcome) -> None:
        if not outcome.broadcast:
            note = outcome.broadcast_error or "REDIS_URL is not set: applied in this process only"
            self.stdout.write(self.style.WARNING(note))
        for worker, report in sorted(outcome.results.items()):
            if report["ok"]:
                line = (
                    f"{worker}: ok, {report['version_before']} -> {report['version_after']}, "
                    f"generation {report['generation']} ({report['duration_ms']:.1f} ms)"
                )
                self.stdout.write(self.style.SUCCESS(line))
            else:
                self.stdout.write(self.style.ERROR(f"{worker}: rolled back: {report['error']}"))
        for worker in outcome.missing:
            self.stdout.write(self.style.WARNING(f"{worker}: no answer"))
        self.stdout.write(str(outcome))
