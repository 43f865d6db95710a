"""Business logic: plain classes with constructor injection.

Nothing here imports ``dependency_injector`` or looks anything up in a container; the
composition root (``containers``) builds these classes and hands them their collaborators.
"""
