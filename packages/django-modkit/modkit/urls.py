"""URL patterns derived from the enabled modules: each module's pages under its prefix."""

from django.urls import include, path


def module_patterns(runtime) -> list:
    """One include per module with pages, namespaced by the module's name."""
    patterns = []
    for record in runtime.modules:
        module = record.module
        if module.urls and module.url_prefix is not None:
            patterns.append(path(module.url_prefix, include((module.urls, module.name), namespace=module.name)))
    return patterns
