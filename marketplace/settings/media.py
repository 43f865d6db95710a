"""Where uploaded files (product pictures) are kept: one choice, used by every settings mode.

``MARKETPLACE_MEDIA_BUCKET`` set: an S3-compatible bucket through django-storages (AWS S3,
MinIO, Ceph, moto...). Otherwise the local disk under ``MARKETPLACE_VAR_DIR/media`` (or what the
caller passes as ``fallback``: the test settings keep pictures in memory).

The bucket stays private: objects are written with no ACL (the bucket's own, private by
default) and the site serves pictures through its own view (``products:image``), never by a
bucket URL, so the bucket needs no public access. Credentials are never copied into settings:
boto3 reads ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` (or a profile, or an instance
role) itself.
"""

from __future__ import annotations

from .env import env_int, env_str

FILE_SYSTEM = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
S3_BACKEND = "storages.backends.s3.S3Storage"


def s3_storage(
    *,
    bucket: str,
    endpoint_url: str | None = None,
    region_name: str | None = None,
    location: str = "",
    addressing_style: str | None = None,
    timeout_seconds: int = 5,
    max_attempts: int = 2,
    **extra,
) -> dict:
    """The ``STORAGES["default"]`` entry for a private S3-compatible bucket (``extra`` is passed
    on as S3Storage options, e.g. ``access_key``/``secret_key`` in tests)."""
    from botocore.config import Config

    if addressing_style is None and endpoint_url:
        # MinIO and most S3-compatible servers answer path-style requests out of the box.
        addressing_style = "path"
    client_config = Config(
        s3={"addressing_style": addressing_style or "auto"},
        # A bucket that is down must fail an upload in seconds (two tries of at most 5 s each by
        # default), well within gunicorn's timeout, not hang the request for minutes.
        connect_timeout=timeout_seconds,
        read_timeout=timeout_seconds,
        retries={"max_attempts": max_attempts, "mode": "standard"},
        # Checksums only where S3 requires them: not every S3-compatible server knows the newer ones.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    options = {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url or None,
        "region_name": region_name or None,
        "location": location.strip("/"),
        "default_acl": None,  # no public-read: the bucket's own (private) policy holds
        "querystring_auth": True,  # should anything ever ask for a URL, it is signed and expires
        # Names are random (uuid4), so no existence check (a round trip) before each write.
        "file_overwrite": True,
        "client_config": client_config,
        **extra,
    }
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}


def default_storage(fallback: dict | None = None) -> dict:
    """``STORAGES["default"]`` from the environment: the bucket when ``MARKETPLACE_MEDIA_BUCKET``
    is set, else ``fallback`` (files on disk under ``MEDIA_ROOT`` unless told otherwise)."""
    bucket = (env_str("MARKETPLACE_MEDIA_BUCKET") or "").strip()
    if not bucket:
        return dict(fallback or FILE_SYSTEM)
    return s3_storage(
        bucket=bucket,
        endpoint_url=env_str("AWS_S3_ENDPOINT_URL") or None,
        region_name=env_str("AWS_S3_REGION_NAME") or None,
        location=env_str("MARKETPLACE_MEDIA_PREFIX") or "",
        addressing_style=env_str("AWS_S3_ADDRESSING_STYLE") or None,
        timeout_seconds=env_int("MARKETPLACE_MEDIA_TIMEOUT_SECONDS", 5),
    )
