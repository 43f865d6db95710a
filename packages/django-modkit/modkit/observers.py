"""What the runtime reports as it works, for a host to record (Prometheus, logs, nothing).

The package depends on no metrics library: a host passes an ``Observer`` subclass to its
``Runtime``. The default records nothing, and then services are not wrapped at all.
"""

from collections.abc import Callable, Mapping

MethodRecorder = Callable[[float, BaseException | None], None]


class Observer:
    def service_method(self, service: str, method: str) -> MethodRecorder | None:
        """A recorder called after each call of ``service.method`` with (seconds, error): the
        exception it raised, or None. The host tells a refusal from a failure by the error's class."""
        return None

    def reload(self, kind: str, target: str, ok: bool, seconds: float) -> None:
        """A hot reload of a module or a service ended."""

    def modules(self, states: Mapping[str, str], generations: Mapping[str, int]) -> None:
        """Each module's state and the generation of services it serves with, after any change."""
