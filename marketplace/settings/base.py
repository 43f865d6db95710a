"""Settings shared by every mode. Machine-specific values come from the environment."""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp import constants as csp
from modkit.settings import module_apps

from . import media
from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(env_str("MARKETPLACE_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = False  # each mode sets its own
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "ninja",  # the API's interactive docs, served from its own static files (no CDN)
    "modkit",  # its template tags; the marketplace composes its own runtime (containers/)
    "marketplace.apps.MarketplaceConfig",
    # The user model (AUTH_USER_MODEL) lives here, so it is installed even without the accounts module.
    "marketplace.accounts",
    "marketplace.ops.apps.OpsConfig",
    "marketplace.tasks.apps.TasksConfig",
    # then each enabled module's app(s): see MARKETPLACE_MODULES below
]

MIDDLEWARE = [
    "marketplace.frame_room.FrameRoomMiddleware",
    "marketplace.middleware.RequestIdMiddleware",
    "marketplace.ops.middleware.RequestMetricsMiddleware",
    "marketplace.ops.middleware.ReloadListenerMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the session, before anything that renders: the visitor's language for the request.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "marketplace.middleware.PrivatePagesMiddleware",
    "marketplace.middleware.ModuleAvailabilityMiddleware",
    # Last, as django-axes asks: it turns a lockout raised by any sign-in path into a 429.
    "axes.middleware.AxesMiddleware",
]

# Every path to a password goes through django-axes first (the site's sign-in, the admin's,
# re-authentication); it counts failures in the database, so it holds when the cache is down.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "marketplace" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marketplace.context_processors.modules",
                "marketplace.wallets.context_processors.user_balance",
                # Last: a page rendered to be shared gets markers for its CSRF tokens (shared_pages.py).
                "marketplace.shared_pages.shared_render",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the single writer; the timeout waits for it instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    # A connection per request unless asked: the development server serves each request on a new
    # thread, where a kept connection would never be used again. Gunicorn's workers may keep theirs.
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 0)

REDIS_URL = env_str("REDIS_URL") or None
if REDIS_URL:
    CACHES = {
        "default": {
            # django-redis and Django's local memory, counting hits and misses (marketplace/cache.py).
            "BACKEND": "marketplace.cache.InstrumentedRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "mkt"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
                # A cache outage must degrade pages to uncached, never break them.
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "marketplace.cache.InstrumentedLocMemCache",
            "LOCATION": "marketplace",
        }
    }

# Each call django-redis fails (and ignores) is logged to this logger, which LOGGING_BUDGETS
# below reduces to one warning a minute while the outage lasts.
# Background tasks (marketplace/tasks/engine.py, docs/deployment.md): Celery with Redis as its
# broker when REDIS_URL is set, run by separate workers; without one, in-process after commit.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = env_bool("MARKETPLACE_TASKS_IN_PROCESS", CELERY_BROKER_URL == "memory://")
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_DEFAULT_QUEUE = "marketplace"
# Acknowledged once done: a worker killed mid-task leaves its message for another.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Sending happens after a request's commit: a broker outage must not hold the answer (the row is
# kept and the sweep sends it later).
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("MARKETPLACE_TASK_VISIBILITY_SECONDS", 3600),
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The schedule is the enabled modules' (BaseModule.schedule), read when the scheduler starts.
CELERY_BEAT_SCHEDULER = "marketplace.tasks.engine:ModuleScheduler"

DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "marketplace.cache"

# How many proxies of ours stand in front of the application (marketplace/client_ip.py): the
# client's address is read that many hops from the right of X-Forwarded-For, never further left.
MARKETPLACE_TRUSTED_PROXIES = env_int("MARKETPLACE_TRUSTED_PROXIES", 0)

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
# Signing in or registering without a ``next`` of this site lands on the home page.
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
# The languages the site is translated into (locale/<code>/LC_MESSAGES/django.po, compiled by
# manage.py compile_translations); a visitor's choice is kept in a cookie by Django's set_language.
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve straight from the apps' static folders until collectstatic has run (dev, tests).
WHITENOISE_USE_FINDERS = True
# Uploaded pictures: an S3-compatible bucket when MARKETPLACE_MEDIA_BUCKET is set, else on disk
# under MEDIA_ROOT (marketplace/settings/media.py). They are served by products:image, not MEDIA_URL.
STORAGES = {
    "default": media.default_storage(),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Scripts, styles, fonts and frames from this site only, and no inline code of any kind (no
# <script> or <style> in a page, no style="" or onclick=""): an injected tag can run nothing.
# Inline SVG (QR codes, the ops graph) is markup, not code. No nonce either: anonymous pages are
# served whole from the page cache (marketplace/vendors/caching.py), where a nonce would repeat.
# Violations are reported to /csp-report/ (marketplace/csp_reports.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        "img-src": [csp.SELF, "data:"],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
        "report-uri": ["/csp-report/"],
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

BIP84_TEST_VECTOR_ZPUB = (
    "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"
)

# The marketplace's own configuration: one dict, one slice per module. Values that differ per
# machine come from the environment; a TOML file (MARKETPLACE_CONFIG_FILE) may overlay it and is
# re-read on every hot reload, so operators can change a setting and reload without a restart.
# The modules that run, one per line: a built-in's name, a module installed with pip (by its
# entry-point name) or a dotted path to a module class. Their Django apps are added to
# INSTALLED_APPS from this list (docs/writing-a-module.md, "Enabling a module").
MARKETPLACE_MODULES = env_list(
    "MARKETPLACE_MODULES",
    [
        "accounts",
        "wallets",
        "vendors",
        "products",
        "orders",
        "notifications",
        "webhooks",
        "api",
    ],
)
INSTALLED_APPS += module_apps(MARKETPLACE_MODULES, package="marketplace", installed=INSTALLED_APPS)
# Places in the site's own pages that modules fill with their parts (docs/modkit.md): the home
# page's sections, each drawn by the module owning its data.
MODKIT_SITE_SLOTS = ("home_glance", "home_products", "home_browse")

# migrate_to_modules (docs/migrating.md) writes a migrated app's module and service where this
# project keeps its own, and enables it by name in MARKETPLACE_MODULES.
MODKIT_MIGRATION = {
    "modules": "modules",
    "services": "services",
    "tests": "tests/integration",
    "enable": "MARKETPLACE_MODULES",
    "not_found": "services.errors.NotFound",
    "exclude": ("marketplace", "marketplace.ops", "marketplace.tasks"),
}

MARKETPLACE = {
    "modules": MARKETPLACE_MODULES,
    "config_file": env_str("MARKETPLACE_CONFIG_FILE") or None,
    "services": {},
    "core": {
        "health_cache_seconds": env_int("MARKETPLACE_HEALTH_CACHE_SECONDS", 2),
        "tasks": {
            "max_attempts": env_int("MARKETPLACE_TASK_MAX_ATTEMPTS", 6),
            "backoff_seconds": env_int("MARKETPLACE_TASK_BACKOFF_SECONDS", 10),
            "backoff_max_seconds": env_int("MARKETPLACE_TASK_BACKOFF_MAX_SECONDS", 3600),
            "lease_seconds": env_int("MARKETPLACE_TASK_LEASE_SECONDS", 300),
            "stale_seconds": env_int("MARKETPLACE_TASK_STALE_SECONDS", 60),
            "sweep_seconds": env_int("MARKETPLACE_TASK_SWEEP_SECONDS", 30),
            "keep_days": env_int("MARKETPLACE_TASK_KEEP_DAYS", 7),
        },
    },
    "ops": {
        # How long a reload waits for every worker's answer before calling the silent ones missing.
        "reload_wait_seconds": env_int("MARKETPLACE_RELOAD_WAIT_SECONDS", 5),
        "heartbeat_seconds": 2,
        # Serving processes listen for cluster reloads on Redis (only when REDIS_URL is set).
        "listen": env_bool("MARKETPLACE_CLUSTER_LISTEN", True),
        "cluster_namespace": env_str("MARKETPLACE_CLUSTER_NAMESPACE") or None,
    },
    "accounts": {
        "min_password_length": env_int("MARKETPLACE_MIN_PASSWORD_LENGTH", 10),
        "login_max_attempts": env_int("MARKETPLACE_LOGIN_MAX_ATTEMPTS", 5),
        "login_window_seconds": env_int("MARKETPLACE_LOGIN_WINDOW_SECONDS", 300),
        # Links sent to prove an address (on sign-up and on change) stop working after this.
        "email_link_max_age_seconds": env_int("MARKETPLACE_EMAIL_LINK_MAX_AGE_SECONDS", 2 * 24 * 3600),
        # Account e-mails sent on request (verification links, password resets), so that no
        # form on the site becomes a mail bomb: per recipient address, and per client address.
        "mails_per_recipient": env_int("MARKETPLACE_ACCOUNT_MAILS_PER_RECIPIENT", 3),
        "mails_per_client": env_int("MARKETPLACE_ACCOUNT_MAILS_PER_CLIENT", 10),
        "mail_window_seconds": env_int("MARKETPLACE_ACCOUNT_MAIL_WINDOW_SECONDS", 3600),
    },
    "wallets": {
        # mainnet | testnet | signet | regtest. Regtest by default: no real coins can reach a
        # dev machine's addresses, whatever key it is given.
        "network": env_str("MARKETPLACE_BITCOIN_NETWORK", "regtest"),
        # The BIP84 account key (m/84'/0'/0') deposits are derived from, xpub or zpub. The
        # default is the public BIP84 test vector (mnemonic "abandon ... about"): demo only,
        # anyone can spend from it; `check --deploy` refuses it on mainnet.
        "xpub": env_str("MARKETPLACE_WALLET_XPUB", BIP84_TEST_VECTOR_ZPUB),
        "chain_backend": env_str("MARKETPLACE_CHAIN_BACKEND", "manual"),
        "deposit_confirmations": env_int("MARKETPLACE_DEPOSIT_CONFIRMATIONS", 3),
        "withdrawal_min_sat": env_int("MARKETPLACE_WITHDRAWAL_MIN_SAT", 10_000),
        "withdrawal_fee_sat": env_int("MARKETPLACE_WITHDRAWAL_FEE_SAT", 2_000),
        # Withdrawals of more than this many satoshis need two different approvers (four eyes).
        "withdrawal_second_approval_sat": env_int("MARKETPLACE_WITHDRAWAL_SECOND_APPROVAL_SAT", 1_000_000),
        "history_page_size": env_int("MARKETPLACE_WALLET_HISTORY_PAGE_SIZE", 25),
        "bitcoin_rpc": {
            "url": env_str("BITCOIN_RPC_URL", "http://127.0.0.1:18443"),
            "wallet": env_str("BITCOIN_RPC_WALLET", "marketplace-deposits"),
            "user": env_str("BITCOIN_RPC_USER", ""),
            "password": env_str("BITCOIN_RPC_PASSWORD", ""),
            "cookie_file": env_str("BITCOIN_RPC_COOKIE_FILE", ""),
            "timeout_seconds": env_int("BITCOIN_RPC_TIMEOUT_SECONDS", 10),
        },
    },
    "vendors": {
        # Catalog, shop and product pages kept in the cache; 0 turns the page cache off.
        "cache_seconds": env_int("MARKETPLACE_PAGE_CACHE_SECONDS", 600),
        # With Redis: keep what pages were checked against in process until Redis says it changed.
        "near_cache": env_bool("MARKETPLACE_PAGE_CACHE_NEAR", True),
    },
    "products": {
        # auto (fts5 on SQLite, postgres on PostgreSQL) | fts5 | postgres | simple: docs/configuration.md
        "search_backend": env_str("MARKETPLACE_SEARCH_BACKEND") or "auto",
        "page_size": env_int("MARKETPLACE_CATALOG_PAGE_SIZE", 24),
        "max_images": env_int("MARKETPLACE_PRODUCT_MAX_IMAGES", 6),
        "max_image_bytes": env_int("MARKETPLACE_PRODUCT_IMAGE_MAX_BYTES", 5 * 1024 * 1024),
        "max_image_pixels": env_int("MARKETPLACE_PRODUCT_IMAGE_MAX_PIXELS", 25_000_000),
        "image_max_side": env_int("MARKETPLACE_PRODUCT_IMAGE_MAX_SIDE", 1600),
    },
    "orders": {
        # Basis points of each completed order's total kept as platform fees (250 = 2.5 %).
        "commission_bps": env_int("MARKETPLACE_COMMISSION_BPS", 250),
        # A paid order the vendor has not accepted within this many days is refunded.
        "accept_timeout_days": env_int("MARKETPLACE_ACCEPT_TIMEOUT_DAYS", 3),
        # A shipped order completes (escrow released) this many days after shipping.
        "auto_finalize_days": env_int("MARKETPLACE_AUTO_FINALIZE_DAYS", 14),
        "cart_max_lines": env_int("MARKETPLACE_CART_MAX_LINES", 50),
        "page_size": env_int("MARKETPLACE_ORDERS_PAGE_SIZE", 20),
    },
    "notifications": {
        # log (a line in the application log) | email (Django's EMAIL_BACKEND)
        "backend": env_str("MARKETPLACE_NOTIFICATIONS_BACKEND", "log"),
        "from_email": env_str("MARKETPLACE_NOTIFICATIONS_FROM", "marketplace@localhost"),
        # Links in e-mails point here (the address buyers and vendors reach the marketplace at).
        "site_url": env_str("MARKETPLACE_SITE_URL", "http://127.0.0.1:8000"),
    },
}

# The JSON API (/api/v1/, docs/api.md): rate limits per client address and per token (or
# signed-in user), as "<requests>/<s|m|h|d>"; a caller over either gets 429 with Retry-After.
MARKETPLACE_API = {
    "address_rate": env_str("MARKETPLACE_API_ADDRESS_RATE", "1200/m"),
    "caller_rate": env_str("MARKETPLACE_API_TOKEN_RATE", "600/m"),
}
MARKETPLACE["api"] = {
    "max_tokens": env_int("MARKETPLACE_API_MAX_TOKENS", 20),
    "max_token_days": env_int("MARKETPLACE_API_MAX_TOKEN_DAYS", 366),
    # Last use of a token is written at most once a minute per token and address.
    "touch_seconds": env_int("MARKETPLACE_API_TOKEN_TOUCH_SECONDS", 60),
    # First answers to POSTs sent with an Idempotency-Key are kept this long for a replay.
    "replay_hours": env_int("MARKETPLACE_API_REPLAY_HOURS", 24),
}

# Sign-in throttling by django-axes, counted in the database (so it holds when the cache is
# down). Failures are counted per (username, client address) and, with a higher ceiling, per
# client address alone; a success clears only its own pair (marketplace/accounts/axes_limits.py).
AXES_HANDLER = "marketplace.accounts.axes_limits.SignInAttempts"
AXES_FAILURE_LIMIT = MARKETPLACE["accounts"]["login_max_attempts"]
MARKETPLACE_LOGIN_ADDRESS_LIMIT = 4 * AXES_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(seconds=MARKETPLACE["accounts"]["login_window_seconds"])
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "marketplace.accounts.axes_limits.client_address"
AXES_USERNAME_CALLABLE = "marketplace.accounts.axes_limits.username_key"
AXES_LOCKOUT_CALLABLE = "marketplace.accounts.axes_limits.lockout_response"
AXES_COOLOFF_MESSAGE = "Too many failed sign-in attempts. Try again later."
# Attempts refused during a lockout are not recorded: axes appends each request to its row, which
# would otherwise grow without bound under a steady attack. The pause runs from the last failure.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Never stored with a failed attempt's form data: second-factor and recovery codes.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code", "otp_token"]

# Two-factor sign-in (django-otp): the name authenticator apps show next to the account.
OTP_TOTP_ISSUER = "Marketplace"
# Password-reset links (Django's own views) work once, and for an hour at most.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600)

# Where the notifications module's ``email`` backend sends through (Django's e-mail settings).
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
# The sender of account e-mails (password resets, address verification), as of notifications.
DEFAULT_FROM_EMAIL = MARKETPLACE["notifications"]["from_email"]

# /metrics: open in development; production settings require staff or METRICS_TOKEN.
METRICS_PUBLIC = env_bool("METRICS_PUBLIC", True)
METRICS_TOKEN = env_str("METRICS_TOKEN", "") or ""
# X-Served-By: host:pid on every response, to tell workers apart (off in production).
MARKETPLACE_SERVED_BY_HEADER = env_bool("MARKETPLACE_SERVED_BY_HEADER", True)

# Loggers that would write a line per request when something outside is down (the cache) or
# when anyone posts to them (CSP reports) get a budget (marketplace/logging.py): what exceeds it
# is counted and summed up in the next line that passes. Production settings use them too.
LOGGING_BUDGETS = {
    "filters": {
        "outage": {"()": "marketplace.logging.LogBudget", "per_interval": 1, "interval_seconds": 60},
        "reports": {"()": "marketplace.logging.LogBudget", "per_interval": 100, "interval_seconds": 60},
    },
    "loggers": {
        "marketplace.cache": {"filters": ["outage"]},
        "containers.near_cache": {"filters": ["outage"]},
        "services.page_cache": {"filters": ["outage"]},
        "marketplace.csp": {"filters": ["reports"]},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {**LOGGING_BUDGETS["filters"], "refusals": {"()": "marketplace.logging.RefusalLines"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["refusals"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Django's own console handler on "django" (DEBUG only) printed each record a second time
        # on its way to the root's: the root's alone writes them.
        "django": {"handlers": [], "level": "INFO"},
        **LOGGING_BUDGETS["loggers"],
    },
}
