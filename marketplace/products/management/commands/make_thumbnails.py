"""Make the thumbnails product pictures stored before thumbnails existed are missing.

Idempotent: a second run finds nothing to do. Safe beside the running site and beside another
run (each picture's row is updated only if it still needs it). A picture whose file is missing
from storage, or cannot be decoded, is reported and skipped. Exit status 1 when the storage
failed for some picture (run it again later); the run stops after ``MAX_FAILURES_IN_A_ROW``
failures in a row (a storage that is down would otherwise be waited for once per picture).
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from containers import runtime
from services.errors import ServiceError

MAX_FAILURES_IN_A_ROW = 5
SKIPPED = {"missing": "its file is missing from storage", "unreadable": "its file is not a picture we can decode"}


class Command(BaseCommand):
    help = (
        "Make the 240 and 480 px WebP thumbnails of product pictures that lack them (every picture's with --all). "
        "Idempotent; pictures whose file is missing are reported and skipped. Exit status 1 if the storage failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="make every picture's thumbnails again")

    def handle(self, *args, **options):
        runtime.ensure_started()
        if not runtime.modules.is_ready("products"):
            raise CommandError(f"the products module is not ready: {runtime.modules.record('products').error}")
        catalog = runtime.module_container("products").catalog_service()
        redo = options["all"]
        backlog = catalog.thumbnail_backlog(redo_all=redo)
        counts = {"made": 0, "present": 0, "gone": 0, "missing": 0, "unreadable": 0, "failed": 0}
        bar = tqdm(backlog, desc="thumbnails", unit="picture", disable=not self.stdout.isatty(), file=sys.stderr)
        in_a_row = 0
        for image_id in bar:
            try:
                outcome = catalog.make_thumbnails(image_id=image_id, redo=redo)
            except ServiceError as error:
                outcome = "failed"
                self._report(bar, f"picture {image_id}: {error.message}")
            else:
                if outcome in SKIPPED:
                    self._report(bar, f"picture {image_id} skipped: {SKIPPED[outcome]}")
            counts[outcome] += 1
            in_a_row = in_a_row + 1 if outcome == "failed" else 0
            if in_a_row >= MAX_FAILURES_IN_A_ROW:
                self._report(bar, f"stopped: the storage failed {in_a_row} times in a row; run this again later")
                break
        bar.close()
        self.stdout.write(
            f"{len(backlog)} picture(s) to do: {counts['made']} made, {counts['missing']} missing from storage, "
            f"{counts['unreadable']} unreadable, {counts['failed']} failed"
            + (f", {counts['present'] + counts['gone']} done meanwhile" if counts["present"] + counts["gone"] else "")
            + "."
        )
        if counts["failed"]:
            sys.exit(1)

    def _report(self, bar, line: str) -> None:
        if bar.disable:
            self.stderr.write(line)
        else:
            bar.write(line, file=sys.stderr)
