"""The marketplace configuration as one dict: ``settings.MARKETPLACE`` plus an optional TOML overlay.

Read at start-up and again at every hot reload, so a changed overlay file reaches the reloaded
services without a restart. A bad file is an error, never a silent fallback.
"""

import copy
import tomllib
from typing import Any

from django.core.exceptions import ImproperlyConfigured


def merge(base: dict, overlay: dict) -> dict:
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config(settings: Any = None) -> dict:
    if settings is None:
        from django.conf import settings
    config = copy.deepcopy(getattr(settings, "MARKETPLACE", {}) or {})
    path = config.get("config_file")
    if path:
        try:
            with open(path, "rb") as fh:
                overlay = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ImproperlyConfigured(f"MARKETPLACE_CONFIG_FILE {path}: {exc}") from exc
        config = merge(config, overlay)
    config.setdefault("modules", ["accounts"])
    config.setdefault("services", {})
    config.setdefault("core", {})
    # A project that adopts the runtime with only MARKETPLACE = {"modules": [...]} still boots.
    config["core"].setdefault("health_cache_seconds", 2)
    if not isinstance(config["modules"], list | tuple) or not config["modules"]:
        raise ImproperlyConfigured("MARKETPLACE['modules'] must be a non-empty list of module names")
    return config
