"""``migrate_to_modules``: turn the plain apps of any Django project into modules.

Installable on its own: add ``"modkit.modularize"`` to ``INSTALLED_APPS`` of the project
to migrate. It reads the project (app registry, migration graph, source code with ``ast``),
never imports its views, and writes only new files.
"""
