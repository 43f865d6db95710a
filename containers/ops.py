"""Operations: the reload journal and the ops page's service.

Not a module of the registry on purpose: it reports and repairs the modules' states, so it
must neither be disabled with them, nor answer 503 when one of them failed, nor be reloaded
by the machinery it drives. Its collaborators are the live runtime and cluster, put in force
once, at import, by the composition root.
"""

from dependency_injector import containers, providers

from services.ops_service import OpsService
from services.reload_journal import ReloadJournal


class OpsContainer(containers.DeclarativeContainer):
    config = providers.Configuration()
    core = providers.DependenciesContainer()

    runtime = providers.Dependency()
    cluster = providers.Dependency()

    reload_journal = providers.Singleton(ReloadJournal)
    ops_service = providers.Factory(
        OpsService,
        system=runtime,
        cluster=cluster,
        health=core.health_service,
        journal=reload_journal,
        access=core.staff_access,
        tasks=core.task_service,
    )
