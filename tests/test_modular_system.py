"""The seed guide's suite: ``python manage.py test tests.test_modular_system`` (pytest runs it too).

``TestServices`` drives the service layer through the composition root exactly as views get it;
``TestModules`` drives the module system: metadata, the graph, the lifecycle, health.
"""

import ast
import copy
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory, TestCase, override_settings

from containers import ServiceRegistry, runtime
from marketplace.apps import MarketplaceConfig
from modules import AccountsModule, BaseModule, ModuleGraphError, ModuleRegistry, ModuleState, module
from services.errors import (
    AuthenticationFailed,
    LoginThrottled,
    NotFound,
    PasswordChangeError,
    ProfileError,
    RegistrationError,
)

ROOT = Path(__file__).resolve().parents[1]
GOOD_PASSWORD = "a sturdy passphrase"


def _request(ip: str):
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR=ip)
    request.session = SessionStore()
    return request


def _user_service():
    from containers import user_service

    return user_service()


class TestServices(TestCase):
    def setUp(self):
        runtime.ensure_started()
        from django.core.cache import cache

        cache.clear()
        self.service = _user_service()

    def register(self, username="alice", email=None, password=GOOD_PASSWORD):
        return self.service.register(username=username, email=email or f"{username}@example.com", password=password)

    def test_provider_builds_a_user_service_with_its_configuration(self):
        self.assertIsInstance(self.service, sys.modules["services.user_service"].UserService)
        self.assertEqual(
            self.service.get_required_config(),
            {
                "min_password_length": settings.MARKETPLACE["accounts"]["min_password_length"],
                "login_max_attempts": settings.MARKETPLACE["accounts"]["login_max_attempts"],
                "login_window_seconds": settings.MARKETPLACE["accounts"]["login_window_seconds"],
            },
        )

    def test_register_stores_a_hashed_password(self):
        user = self.register()
        stored = get_user_model().objects.get(pk=user.pk)
        self.assertNotEqual(stored.password, GOOD_PASSWORD)
        self.assertTrue(stored.check_password(GOOD_PASSWORD))

    def test_register_refuses_a_taken_name_whatever_its_case(self):
        self.register("alice")
        with self.assertRaises(RegistrationError) as caught:
            self.register("ALICE", email="other@example.com")
        self.assertIn("username", caught.exception.errors)
        self.assertEqual(get_user_model().objects.count(), 1)

    def test_register_refuses_a_taken_email(self):
        self.register("alice", email="shared@example.com")
        with self.assertRaises(RegistrationError) as caught:
            self.register("bob", email="SHARED@example.com")
        self.assertIn("email", caught.exception.errors)

    def test_register_refuses_weak_passwords_and_bad_names(self):
        cases = {
            "short": dict(username="carol", password="short"),
            "numeric": dict(username="carol", password="12345678901234"),
            "common": dict(username="carol", password="password1234"),
            "empty name": dict(username="", password=GOOD_PASSWORD),
            "bad name": dict(username="no spaces allowed", password=GOOD_PASSWORD),
            "huge name": dict(username="x" * 151, password=GOOD_PASSWORD),
        }
        for label, kwargs in cases.items():
            with self.subTest(label), self.assertRaises(RegistrationError):
                self.service.register(email="carol@example.com", **kwargs)
        self.assertEqual(get_user_model().objects.count(), 0)

    def test_register_accepts_unicode_names(self):
        user = self.register("José_Ñandú", email="jose@example.com")
        self.assertEqual(self.service.get_user_by_id(user.pk).username, "José_Ñandú")

    def sign_in(self, username="alice", password=GOOD_PASSWORD, ip="10.0.0.1"):
        """The service as the sign-in page calls it: with the HTTP request, which django-axes reads."""
        return self.service.authenticate(request=_request(ip), username=username, password=password)

    def test_authenticate(self):
        user = self.register()
        self.assertEqual(self.sign_in().pk, user.pk)
        with self.assertRaises(AuthenticationFailed):
            self.sign_in(password="wrong password")
        with self.assertRaises(AuthenticationFailed):
            self.sign_in(username="nobody")

    def test_login_is_throttled_after_repeated_failures_even_with_the_right_password(self):
        self.register()
        limit = self.service.get_required_config()["login_max_attempts"]
        for _ in range(limit - 1):
            with self.assertRaises(AuthenticationFailed):
                self.sign_in(password="wrong", ip="10.0.0.1")
        with self.assertRaises(LoginThrottled) as caught:  # the limit-th failure locks
            self.sign_in(password="wrong", ip="10.0.0.1")
        self.assertGreater(caught.exception.retry_after, 0)
        with self.assertRaises(LoginThrottled):
            self.sign_in(ip="10.0.0.1")
        # Failures from one address never lock the account out from another.
        self.assertEqual(self.sign_in(ip="10.0.0.2").username, "alice")

    def test_a_good_login_resets_the_username_counter(self):
        self.register()
        limit = self.service.get_required_config()["login_max_attempts"]
        for _ in range(limit - 1):
            with self.assertRaises(AuthenticationFailed):
                self.sign_in(password="wrong")
        request = _request("10.0.0.1")
        login(request, self.service.authenticate(request=request, username="alice", password=GOOD_PASSWORD))
        with self.assertRaises(AuthenticationFailed):
            self.sign_in(password="wrong")
        self.sign_in()

    def test_get_user_by_id(self):
        user = self.register()
        self.assertEqual(self.service.get_user_by_id(user.pk).username, "alice")
        for bad in (999_999, "abc", None):
            with self.subTest(bad), self.assertRaises(NotFound):
                self.service.get_user_by_id(bad)

    def test_update_profile(self):
        user = self.register()
        profile = self.service.update_profile(
            user_id=user.pk, display_name="  Alice A.  ", email="alice@example.com", bio="Hi"
        )
        self.assertEqual((profile.display_name, profile.email, profile.bio), ("Alice A.", "alice@example.com", "Hi"))
        with self.assertRaises(ProfileError):
            self.service.update_profile(user_id=user.pk, display_name="x" * 81, bio="")
        # A new address is confirmed by a link sent to it (request_email_change), never set here.
        with self.assertRaises(ProfileError) as caught:
            self.service.update_profile(user_id=user.pk, display_name="", email="new@example.com", bio="")
        self.assertIn("email", caught.exception.errors)
        self.assertEqual(self.service.get_profile(user_id=user.pk).display_name, "Alice A.")
        self.assertEqual(self.service.get_profile(user_id=user.pk).email, "alice@example.com")

    def test_change_password(self):
        user = self.register()
        with self.assertRaises(PasswordChangeError):
            self.service.change_password(user_id=user.pk, old_password="wrong", new_password="another passphrase")
        with self.assertRaises(PasswordChangeError):
            self.service.change_password(user_id=user.pk, old_password=GOOD_PASSWORD, new_password="short")
        self.service.change_password(user_id=user.pk, old_password=GOOD_PASSWORD, new_password="another passphrase")
        self.assertEqual(self.sign_in(password="another passphrase").pk, user.pk)

    def test_a_subclassed_service_is_swapped_in_by_configuration_alone(self):
        changed = copy.deepcopy(settings.MARKETPLACE)
        changed["services"] = {"user_service": "tests.fixtures.custom_services.CustomUserService"}
        self.addCleanup(runtime.reload_service, "user_service")
        with override_settings(MARKETPLACE=changed):
            runtime.reload_service("user_service")
        service = _user_service()
        self.assertEqual(type(service).__name__, "CustomUserService")
        # A reload re-imports the service's code: compare with the class loaded now.
        self.assertIsInstance(service, sys.modules["services.user_service"].UserService)
        self.assertEqual(service.custom_method(), "Custom result")
        self.assertTrue(service.get_required_config()["custom"])
        self.assertEqual(runtime.services.get("user_service").cls.__name__, "CustomUserService")

    def test_an_incompatible_class_is_refused_and_the_old_one_keeps_serving(self):
        from containers import ReloadFailed

        changed = copy.deepcopy(settings.MARKETPLACE)
        changed["services"] = {"user_service": "tests.fixtures.custom_services.NotAUserService"}
        with override_settings(MARKETPLACE=changed), self.assertRaises(ReloadFailed) as caught:
            runtime.reload_service("user_service")
        self.assertIn("lacks", caught.exception.result.error)
        self.assertIsInstance(_user_service(), sys.modules["services.user_service"].UserService)

    def test_service_calls_are_counted_by_the_container(self):
        before = runtime.metrics()["services"].get("user_service", {}).get("methods", {})
        before_calls = before.get("get_required_config", {}).get("calls", 0)
        self.service.get_required_config()
        self.service.get_required_config()
        after = runtime.metrics()["services"]["user_service"]["methods"]["get_required_config"]
        self.assertEqual(after["calls"], before_calls + 2)

    def test_the_service_registry_knows_every_service(self):
        self.assertIsInstance(runtime.services, ServiceRegistry)
        entry = runtime.services.get("user_service")
        self.assertEqual((entry.module, entry.cls.__name__), ("accounts", "UserService"))
        self.assertEqual(runtime.services.get("accounts.user_service").name, "user_service")
        with self.assertRaises(KeyError):
            runtime.services.get("no_such_service")

    def test_services_never_import_dependency_injector(self):
        offenders = []
        for path in (ROOT / "services").rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module or ""]
                if any(n.split(".")[0] in {"dependency_injector", "containers"} for n in names):
                    offenders.append(f"{path.name}:{node.lineno}")
        self.assertEqual(offenders, [])


def _module(name, version="1.0.0", dependencies=(), fail=False, log=None):
    @module(
        name=name, version=version, description=f"{name} test module", author="tests", dependencies=list(dependencies)
    )
    class _Probe(BaseModule):
        def initialize(self):
            if log is not None:
                log.append(("init", name))
            if fail:
                raise RuntimeError(f"{name} cannot start")
            return True

        def cleanup(self):
            if log is not None:
                log.append(("cleanup", name))
            return True

    return _Probe()


class TestModules(TestCase):
    def test_metadata_from_the_decorator(self):
        accounts = AccountsModule()
        self.assertEqual((accounts.name, accounts.version), ("accounts", "1.0.0"))
        self.assertEqual(accounts.get_dependencies(), [])
        orders = _module("orders", dependencies=["wallets>=1.0", "products"])
        self.assertEqual(orders.get_dependencies(), ["wallets>=1.0", "products"])

    def test_decorator_refuses_bad_metadata(self):
        for kwargs in (
            dict(name="Bad Name", version="1.0"),
            dict(name="ok", version="not a version"),
            dict(name="ok", version="1.0", dependencies=["wallets>>1"]),
            dict(name="ok", version="1.0", dependencies=["ok"]),
        ):
            with self.subTest(kwargs), self.assertRaises(ValueError):
                module(**kwargs)
        with self.assertRaises(TypeError):
            module(name="ok", version="1.0")(object)

    def test_a_cycle_is_reported_with_its_whole_path(self):
        registry = ModuleRegistry(
            [
                _module("accounts"),
                _module("orders", dependencies=["wallets"]),
                _module("wallets", dependencies=["accounts", "orders"]),
            ]
        )
        with self.assertRaises(ModuleGraphError) as caught:
            registry.validate()
        self.assertIn("dependency cycle: orders -> wallets -> orders", caught.exception.problems)

    def test_a_longer_cycle_names_every_step(self):
        registry = ModuleRegistry(
            [
                _module("a", dependencies=["b"]),
                _module("b", dependencies=["c"]),
                _module("c", dependencies=["a"]),
            ]
        )
        self.assertEqual(registry.problems(), ["dependency cycle: a -> b -> c -> a"])

    def test_a_missing_dependency_names_who_needs_it(self):
        registry = ModuleRegistry(
            [
                _module("accounts"),
                _module("orders", dependencies=["wallets"]),
                _module("wallets", dependencies=["accounts", "ledger>=1.0"]),
            ]
        )
        problems = registry.problems()
        self.assertEqual(len(problems), 1)
        self.assertIn("wallets needs 'ledger>=1.0', which is not registered", problems[0])
        self.assertIn("path: orders -> wallets -> ledger", problems[0])

    def test_a_version_mismatch_is_reported(self):
        registry = ModuleRegistry(
            [_module("accounts", version="1.2.0"), _module("wallets", dependencies=["accounts>=2.0"])]
        )
        problems = registry.problems()
        self.assertEqual(len(problems), 1)
        self.assertIn("wallets needs 'accounts>=2.0' but accounts is 1.2.0", problems[0])
        satisfied = ModuleRegistry(
            [_module("accounts", version="2.1"), _module("wallets", dependencies=["accounts>=2.0,<3"])]
        )
        self.assertEqual(satisfied.problems(), [])

    def test_modules_start_in_dependency_order_and_stop_in_reverse(self):
        log = []
        registry = ModuleRegistry(
            [
                _module("orders", dependencies=["wallets", "products"], log=log),
                _module("products", dependencies=["accounts"], log=log),
                _module("wallets", dependencies=["accounts"], log=log),
                _module("accounts", log=log),
            ]
        )
        registry.initialize_all()
        started = [name for step, name in log if step == "init"]
        self.assertEqual(started, ["accounts", "wallets", "products", "orders"])
        registry.cleanup_all()
        stopped = [name for step, name in log if step == "cleanup"]
        self.assertEqual(stopped, list(reversed(started)))
        self.assertEqual(set(registry.states().values()), {str(ModuleState.STOPPED)})

    def test_a_failed_module_stops_only_its_dependants(self):
        log = []
        registry = ModuleRegistry(
            [
                _module("accounts", log=log),
                _module("wallets", dependencies=["accounts"], fail=True, log=log),
                _module("orders", dependencies=["wallets"], log=log),
                _module("products", dependencies=["accounts"], log=log),
            ]
        )
        states = registry.initialize_all()
        self.assertEqual(
            states,
            {
                "accounts": "ready",
                "wallets": "failed",
                "orders": "registered",
                "products": "ready",
            },
        )
        self.assertIn("cannot start", registry.record("wallets").error)
        self.assertEqual(registry.record("orders").blocked_by, "wallets")
        self.assertNotIn(("init", "orders"), log)
        registry.cleanup_all()
        self.assertNotIn(("cleanup", "wallets"), log)

    def test_an_invalid_graph_starts_nothing(self):
        log = []
        registry = ModuleRegistry(
            [_module("a", dependencies=["b"], log=log), _module("b", dependencies=["a"], log=log)]
        )
        with self.assertRaises(ModuleGraphError):
            registry.initialize_all()
        self.assertEqual(log, [])

    def test_accounts_module_initializes_and_reports_health(self):
        runtime.ensure_started()
        accounts = AccountsModule()
        self.assertTrue(accounts.initialize())
        health = accounts.get_module_health()
        self.assertEqual(health["status"], "UP")
        self.assertEqual(set(health["checks"]), {"users_table", "user_service"})

    def test_system_health_has_database_cache_and_module_components(self):
        health = MarketplaceConfig().get_system_health()
        self.assertEqual(health["status"], "UP")
        for component in ("database", "migrations", "cache", "module.accounts"):
            self.assertEqual(health["components"][component]["status"], "UP", component)

    def test_system_metrics(self):
        metrics = MarketplaceConfig().get_system_metrics()
        self.assertGreaterEqual(metrics["uptime_seconds"], 0)
        self.assertEqual(metrics["modules"]["accounts"], "ready")
        self.assertIn("user_service", metrics["services"])

    def test_reload_through_the_app_config(self):
        app = MarketplaceConfig()
        before = runtime.generation("accounts").number
        result = app.reload_module("accounts")
        self.assertTrue(result.ok)
        self.assertGreater(runtime.generation("accounts").number, before)
        self.assertTrue(app.reload_service("user_service").ok)
        self.assertTrue(runtime.modules.is_ready("accounts"))
