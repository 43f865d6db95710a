"""Generations: built from a module container, routed through the application's facades."""

import threading

import pytest
from dependency_injector import containers, providers
from modkit import Observer, ServiceUnavailable
from modkit.generations import (
    GenerationBuilder,
    GenerationError,
    ModuleSlot,
    install_facade,
    pinned,
    service_providers,
)


class Clock:
    def now(self):
        return "system time"


class ManualChain:
    name = "manual"


class NodeChain:
    name = "node"

    def __init__(self, url):
        self.url = url


class Ledger:
    def __init__(self, clock):
        self.clock = clock

    def post(self):
        return "posted"


class Wallet:
    def __init__(self, ledger, chain, clock, fee_sat):
        self.ledger, self.chain, self.clock, self.fee_sat = ledger, chain, clock, fee_sat

    def balance(self):
        return 0


class Core(containers.DeclarativeContainer):
    clock = providers.Singleton(Clock)


class WalletsLike(containers.DeclarativeContainer):
    config = providers.Configuration()
    core = providers.DependenciesContainer()
    ledger = providers.Factory(Ledger, clock=core.clock)
    chain = providers.Selector(
        config.backend,
        manual=providers.Singleton(ManualChain),
        node=providers.Factory(NodeChain, url=config.url),
    )
    wallet = providers.Factory(Wallet, ledger=ledger, chain=chain, clock=core.clock, fee_sat=config.fee_sat.as_int())


class App(containers.DeclarativeContainer):
    config = providers.Configuration()
    core = providers.Container(Core)
    wallets = providers.Container(WalletsLike, core=core, config=config.wallets)


class Recording(Observer):
    def __init__(self):
        self.calls = []

    def service_method(self, service, method):
        return lambda seconds, raised: self.calls.append((service, method, raised))


@pytest.fixture
def observer():
    return Recording()


@pytest.fixture
def system(observer):
    app = App()
    builder = GenerationBuilder(reloadable=(__name__,), observer=observer)

    def build(config, number=1, only=None, base=None, overrides=None):
        return builder.build(
            module="wallets",
            version="1.0",
            container_cls=WalletsLike,
            facade=app.wallets,
            config=config,
            class_overrides=overrides or {},
            number=number,
            only=only,
            base=base,
        )

    generation = build({"backend": "manual", "fee_sat": "150"})
    slot = ModuleSlot(generation)
    for name in service_providers(app.wallets):
        install_facade(getattr(app.wallets, name), slot, name)
    return app, slot, build


def test_the_facade_serves_the_generation_with_its_own_config(system):
    app, slot, _ = system
    wallet = app.wallets.wallet()
    assert type(wallet).__name__ == "Wallet" and isinstance(wallet, Wallet)
    assert (wallet.fee_sat, wallet.chain.name, wallet.clock.now()) == (150, "manual", "system time")


def test_overriding_a_sibling_on_the_application_container_reaches_the_services(system):
    app, _, _ = system

    class FakeChain:
        name = "fake"

    with app.wallets.chain.override(FakeChain()):
        assert app.wallets.wallet().chain.name == "fake"
    assert app.wallets.wallet().chain.name == "manual"


def test_overriding_a_core_dependency_reaches_nested_services(system):
    app, _, _ = system

    class Frozen:
        def now(self):
            return "frozen"

    with app.core.clock.override(Frozen()):
        wallet = app.wallets.wallet()
        assert wallet.clock.now() == wallet.ledger.clock.now() == "frozen"


def test_a_new_generation_is_one_reference_change(system):
    app, slot, build = system
    before = app.wallets.wallet()
    slot.generation = build({"backend": "node", "url": "http://127.0.0.1:8332", "fee_sat": "200"}, number=2)
    after = app.wallets.wallet()
    assert (before.chain.name, before.fee_sat) == ("manual", 150)
    assert (after.chain.name, after.chain.url, after.fee_sat) == ("node", "http://127.0.0.1:8332", 200)


def test_rebuilding_one_service_keeps_the_others(system):
    app, slot, build = system
    old = slot.generation
    new = build({"backend": "manual", "fee_sat": "999"}, number=2, only={"wallet"}, base=old)
    assert new.providers["ledger"] is old.providers["ledger"]
    assert new.providers["chain"] is old.providers["chain"]
    assert new.providers["wallet"] is not old.providers["wallet"]
    slot.generation = new
    assert app.wallets.wallet().fee_sat == 999


def test_the_configuration_is_strict(system):
    app, slot, build = system
    slot.generation = build({"backend": "manual"}, number=2)
    with pytest.raises(Exception, match="fee_sat"):
        app.wallets.wallet()


def test_singletons_are_per_generation(system):
    app, slot, build = system
    first = app.wallets.chain()
    assert app.wallets.chain() is first
    slot.generation = build({"backend": "manual", "fee_sat": "1"}, number=2)
    assert app.wallets.chain() is not first


def test_services_are_measured_but_remain_their_class(system, observer):
    app, slot, _ = system
    wallet = app.wallets.wallet()
    assert type(wallet) is not Wallet and type(wallet).__wrapped_class__ is Wallet
    assert slot.generation.classes["wallet"] is Wallet
    assert slot.generation.sources["wallet"] == frozenset({__name__})
    assert wallet.balance() == 0
    assert ("wallet", "balance", None) in observer.calls


@pytest.mark.parametrize("observer", [Observer()])
def test_an_observer_that_records_nothing_leaves_services_unwrapped(system):
    app, _, _ = system
    assert type(app.wallets.wallet()) is Wallet


def test_a_class_can_be_swapped_by_configuration(system):
    app, slot, build = system
    path = f"{__name__}.RicherWallet"
    slot.generation = build({"backend": "manual", "fee_sat": "1"}, number=2, overrides={"wallet": path})
    assert app.wallets.wallet().balance() == 10**8


def test_an_incompatible_class_is_refused(system):
    _, _, build = system
    with pytest.raises(GenerationError, match="lacks balance"):
        build({"backend": "manual", "fee_sat": "1"}, overrides={"wallet": f"{__name__}.Clock"})
    with pytest.raises(GenerationError, match="cannot import"):
        build({"backend": "manual", "fee_sat": "1"}, overrides={"wallet": "no.such.module.Wallet"})


def test_a_provider_missing_from_the_generation_says_so(system):
    app, slot, build = system
    generation = slot.generation
    slot.generation = type(generation)(**{**generation.__dict__, "providers": {}})
    with pytest.raises(ServiceUnavailable, match="no longer provides 'wallet'"):
        app.wallets.wallet()


def test_a_pinned_trial_generation_is_seen_by_its_own_thread_only(system):
    app, slot, build = system
    trial = build({"backend": "node", "url": "http://trial", "fee_sat": "7"}, number=2)
    seen_elsewhere = []
    with pinned(trial):
        wallet = app.wallets.wallet()
        # The trial's services meet the trial's siblings, not the generation in force.
        assert (wallet.fee_sat, wallet.chain.name) == (7, "node")
        worker = threading.Thread(target=lambda: seen_elsewhere.append(app.wallets.wallet().fee_sat))
        worker.start()
        worker.join()
    assert seen_elsewhere == [150]
    assert app.wallets.wallet().fee_sat == 150


class RicherWallet(Wallet):
    def balance(self):
        return 10**8
