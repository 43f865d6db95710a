"""What every page's layout needs from the modular system: which modules serve."""


def modules(request) -> dict:
    from containers import runtime

    return {"enabled_modules": {name: runtime.modules.is_ready(name) for name in runtime.modules.names()}}
