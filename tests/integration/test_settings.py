"""Settings come from the environment; production settings pass ``check --deploy`` cleanly."""

import os
import secrets
import subprocess
import sys

import pytest

from tests.support.projects import ROOT


def manage(*args, env=None, settings="marketplace.settings.production"):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update({"DJANGO_SETTINGS_MODULE": settings, **(env or {})})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def production_env(**extra):
    return {"SECRET_KEY": secrets.token_urlsafe(64), "ALLOWED_HOSTS": "shop.example.com", **extra}


def test_check_deploy_reports_nothing_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "DEBUG", env=production_env())
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", env={"ALLOWED_HOSTS": "shop.example.com"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_a_weak_secret_key():
    result = manage("check", env={"SECRET_KEY": "short", "ALLOWED_HOSTS": "x"})
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


def test_dev_settings_need_a_secret_key_once_debug_is_off():
    result = manage("check", env={"DEBUG": "0"}, settings="marketplace.settings.dev")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_a_malformed_boolean_is_an_error_not_a_guess():
    result = manage("check", env={"DEBUG": "maybe"}, settings="marketplace.settings.dev")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


@pytest.mark.parametrize(
    "env, expected",
    [
        ({}, ("django.db.backends.sqlite3", "marketplace.cache.InstrumentedLocMemCache")),
        (
            {"DATABASE_URL": "postgres://u:p@127.0.0.1:5432/shop", "REDIS_URL": "redis://127.0.0.1:6379/3"},
            ("django.db.backends.postgresql", "marketplace.cache.InstrumentedRedisCache"),
        ),
    ],
)
def test_database_and_cache_follow_the_environment(env, expected):
    code = (
        "from django.conf import settings;"
        "print(settings.DATABASES['default']['ENGINE']);"
        "print(settings.CACHES['default']['BACKEND']);"
        "print(settings.DATABASES['default']['NAME'])"
    )
    result = manage("shell", "-c", code, env=env, settings="marketplace.settings.dev")
    assert result.returncode == 0, result.stderr
    engine, cache, name = result.stdout.strip().splitlines()[-3:]
    assert (engine, cache) == expected
    if not env:
        assert name.endswith("var/db.sqlite3")
