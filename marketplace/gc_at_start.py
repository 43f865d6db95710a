"""Garbage collection held back while a process starts; what start-up built is then frozen.

Start-up builds some 200,000 objects (modules, classes, models, containers) that live as long
as the process. Collecting while they are being built finds almost nothing, and
took 180 ms of every ``manage.py check`` (about 13 %, bench/startup.py). So the entry points
(``manage.py``, ``marketplace/wsgi.py``) hold collection from their first line, and the site's
app config releases it once the apps are ready: everything alive then is frozen (``gc.freeze``:
never scanned again, which also keeps every later collection short) and collection resumes.

The price, measured: the cyclic garbage of start-up, about 3,700 objects (0.6 MB), is frozen
with the rest and kept for the life of the process.
"""

import gc

_held = False


def hold() -> None:
    """From an entry point, before Django is set up; a process already set up is left alone."""
    global _held
    from django.apps import apps

    if gc.isenabled() and not apps.ready:
        gc.disable()
        _held = True


def release() -> None:
    """Once the apps are ready (MarketplaceConfig.ready): freeze what exists, collect again."""
    global _held
    if _held:
        _held = False
        gc.freeze()
        gc.enable()
