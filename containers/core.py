"""What every module may use: configuration, time, the cache, domain events, health, tasks."""

from dependency_injector import containers, providers
from django.core.cache import cache as django_cache
from django.utils.module_loading import import_string

from services.clock import SystemClock
from services.events import EventPublisher
from services.health_service import DatabaseProbe, HealthService
from services.personal_parts import PersonalParts
from services.staff_access import StaffAccess
from services.staff_audit import StaffAudit
from services.task_service import TaskService


def _engine_dispatcher():
    # Named by path, as Django names a URLconf: the task engine behind it imports these containers.
    # (A dotted string given to the provider would cost a walk of the whole stack, 40 ms at start.)
    return import_string("marketplace.tasks.dispatcher.CeleryDispatcher")()


class CoreContainer(containers.DeclarativeContainer):
    config = providers.Configuration()

    clock = providers.Singleton(SystemClock)
    # Django's cache proxy resolves the configured backend per thread (Redis or local memory).
    cache = providers.Object(django_cache)
    events = providers.ThreadSafeSingleton(EventPublisher, strict=config.strict_events.as_(bool))
    # Who among staff may do what (every module's services ask it), and the record of what they did.
    staff_access = providers.Singleton(StaffAccess)
    staff_audit = providers.Factory(StaffAudit, clock=clock)
    # Who has just changed, for the parts of pages kept per person (services/personal_parts.py).
    personal_parts = providers.Singleton(PersonalParts)

    # Filled by the runtime at start-up with the live module registry.
    module_registry = providers.Dependency()
    database_probe = providers.Singleton(DatabaseProbe)
    health_service = providers.ThreadSafeSingleton(
        HealthService,
        modules=module_registry,
        database=database_probe,
        cache=cache,
        cache_seconds=config.health_cache_seconds.as_float(),
    )

    # Background tasks. The engine is outside the services (marketplace/tasks/engine.py, imported at
    # the first dispatch); the runtime fills in which tasks exist and the live code that runs each.
    task_dispatcher = providers.Singleton(_engine_dispatcher)
    task_handlers = providers.Dependency()
    known_tasks = providers.Dependency()
    task_service = providers.Factory(
        TaskService,
        clock=clock,
        dispatcher=task_dispatcher,
        resolve=task_handlers,
        known=known_tasks,
        max_attempts=config.tasks.max_attempts.as_(int),
        backoff_seconds=config.tasks.backoff_seconds.as_float(),
        backoff_max_seconds=config.tasks.backoff_max_seconds.as_float(),
        lease_seconds=config.tasks.lease_seconds.as_float(),
        stale_seconds=config.tasks.stale_seconds.as_float(),
        keep_days=config.tasks.keep_days.as_(int),
    )
