#!/usr/bin/env python
import os
import sys


def main() -> None:
    from marketplace import gc_at_start

    gc_at_start.hold()  # until the apps are ready (marketplace/gc_at_start.py)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
