"""Pictures on an S3-compatible bucket: moto's S3 server, run for real on a free port, stands in
for AWS or MinIO. Settings choose the bucket from the environment; uploads land in it privately,
the view serves them from it, and a bucket that is down or missing is a form error, never a 500."""

import io
import os
import secrets
import subprocess
import sys
import urllib.request

import boto3
import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from moto.server import ThreadedMotoServer
from PIL import Image

from marketplace.products.models import Product, ProductImage
from marketplace.settings import media
from tests.support.catalog import picture_bytes, upload
from tests.support.projects import ROOT
from tests.support.servers import free_port

pytestmark = pytest.mark.django_db

BUCKET = "marketplace-media"
PREFIX = "media"
CREDENTIALS = {"access_key": "testing", "secret_key": "testing"}


class S3Server:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.client = boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def keys(self, bucket: str = BUCKET) -> set[str]:
        return {item["Key"] for item in self.client.list_objects_v2(Bucket=bucket).get("Contents", [])}

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=BUCKET, Key=key)["Body"].read()

    def storage(self, bucket: str = BUCKET) -> dict:
        """``STORAGES["default"]`` for this server, as ``marketplace/settings/media.py`` builds it."""
        return media.s3_storage(
            bucket=bucket,
            endpoint_url=self.url,
            region_name="us-east-1",
            location=PREFIX,
            timeout_seconds=2,
            max_attempts=1,  # a refusal shows at once
            **CREDENTIALS,
        )


@pytest.fixture
def s3():
    server = S3Server()
    server.server.start()
    # moto keeps its buckets in the process, from one server to the next: start empty.
    urllib.request.urlopen(urllib.request.Request(f"{server.url}/moto-api/reset", method="POST"))
    server.client.create_bucket(Bucket=BUCKET)
    yield server
    server.server.stop()


@pytest.fixture
def on_s3(s3, settings):
    """The default storage is the bucket for this test (Django resets ``default_storage`` when
    ``STORAGES`` changes, and again when the test ends)."""
    settings.STORAGES = {**settings.STORAGES, "default": s3.storage()}
    assert type(default_storage._wrapped).__name__ != "S3Storage"  # still lazy: built on first use
    return s3


@pytest.fixture
def bob(make_vendor, client):
    user = make_vendor("bob")
    client.force_login(user)
    return user


def form(categories, **overrides):
    data = {
        "title": "Brass desk lamp",
        "description": "A lamp.",
        "price": "0.0012",
        "stock": "4",
        "category": str(categories["lighting"]),
        "is_active": "on",
    }
    data.update(overrides)
    return data


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def size_of(content: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(content)) as image:
        return image.size


# settings
def test_the_bucket_is_chosen_from_the_environment(monkeypatch):
    for name in ("MARKETPLACE_MEDIA_BUCKET", "MARKETPLACE_MEDIA_PREFIX", "AWS_S3_ENDPOINT_URL", "AWS_S3_REGION_NAME"):
        monkeypatch.delenv(name, raising=False)
    assert media.default_storage() == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    in_memory = {"BACKEND": "django.core.files.storage.InMemoryStorage"}
    assert media.default_storage(fallback=in_memory) == in_memory

    monkeypatch.setenv("MARKETPLACE_MEDIA_BUCKET", "shop-pictures")
    monkeypatch.setenv("MARKETPLACE_MEDIA_PREFIX", "/prod/media/")
    monkeypatch.setenv("AWS_S3_ENDPOINT_URL", "http://minio.internal:9000")
    monkeypatch.setenv("AWS_S3_REGION_NAME", "eu-west-1")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "never-in-settings")
    chosen = media.default_storage(fallback=in_memory)
    assert chosen["BACKEND"] == "storages.backends.s3.S3Storage"
    options = chosen["OPTIONS"]
    assert (options["bucket_name"], options["location"], options["endpoint_url"], options["region_name"]) == (
        "shop-pictures",
        "prod/media",
        "http://minio.internal:9000",
        "eu-west-1",
    )
    assert options["default_acl"] is None and options["querystring_auth"] is True
    assert options["client_config"].s3 == {"addressing_style": "path"}  # what MinIO answers by default
    assert "never-in-settings" not in repr(chosen)  # boto3 reads the credentials itself


def test_production_settings_use_the_bucket_and_still_pass_check_deploy():
    code = (
        "from django.conf import settings; from django.core.files.storage import storages;"
        "d = storages['default'];"
        "print(settings.STORAGES['default']['BACKEND'], type(d).__name__, d.bucket_name, d.location, d.default_acl)"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MARKETPLACE_MEDIA", "AWS_"))},
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "shop.example.com",
        "MARKETPLACE_MEDIA_BUCKET": "shop-pictures",
        "MARKETPLACE_MEDIA_PREFIX": "prod",
        "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9",
    }
    shown = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split()[-5:] == ["storages.backends.s3.S3Storage", "S3Storage", "shop-pictures", "prod", "None"]
    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr


# the bucket serving
def test_an_upload_lands_in_the_bucket_privately_and_is_served_from_it(client, bob, categories, on_s3):
    response = client.post(
        reverse("products:create"), form(categories, images=upload(picture_bytes("PNG", (1000, 800)), "lamp.png"))
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    image = ProductImage.objects.get()
    keys = on_s3.keys()
    assert keys == {f"{PREFIX}/{image.file}", f"{PREFIX}/{image.thumbnail_240}", f"{PREFIX}/{image.thumbnail_480}"}
    for key in keys:  # only the owner's grant: nothing public
        grants = on_s3.client.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
        assert [g["Permission"] for g in grants] == ["FULL_CONTROL"] and "URI" not in grants[0]["Grantee"]

    client.logout()
    for size, name, content_type, dimensions in [
        (None, image.file, "image/png", (1000, 800)),
        ("240", image.thumbnail_240, "image/webp", (240, 192)),
        ("480", image.thumbnail_480, "image/webp", (480, 384)),
    ]:
        served = client.get(reverse("products:image", args=[image.pk]), {"size": size} if size else {})
        assert served.status_code == 200 and served["Content-Type"] == content_type
        assert served["Cache-Control"] == "public, max-age=86400, immutable"
        content = body(served)
        assert content == on_s3.read(f"{PREFIX}/{name}") and size_of(content) == dimensions

    page = client.get(reverse("products:list")).content.decode()
    assert f'srcset="/products/images/{image.pk}/?size=240 240w, /products/images/{image.pk}/?size=480 480w"' in page


def test_make_thumbnails_works_against_the_bucket(bob, make_product, on_s3):
    product_id = make_product(bob, images=[upload(picture_bytes("JPEG", (900, 600)), "lamp.jpg", "image/jpeg")])
    image = ProductImage.objects.get(product_id=product_id)
    for name in (image.thumbnail_240, image.thumbnail_480):
        on_s3.client.delete_object(Bucket=BUCKET, Key=f"{PREFIX}/{name}")
    ProductImage.objects.filter(pk=image.pk).update(thumbnail_240=None, thumbnail_480=None)
    out = io.StringIO()
    call_command("make_thumbnails", stdout=out, stderr=io.StringIO())
    assert "1 picture(s) to do: 1 made" in out.getvalue()
    image.refresh_from_db()
    assert on_s3.keys() == {f"{PREFIX}/{n}" for n in (image.file, image.thumbnail_240, image.thumbnail_480)}
    assert size_of(on_s3.read(f"{PREFIX}/{image.thumbnail_480}")) == (480, 320)


# the bucket refusing
def test_a_bucket_that_is_down_is_a_form_error_not_a_500(client, bob, categories, on_s3):
    on_s3.server.stop()
    response = client.post(
        reverse("products:create"), form(categories, images=upload(picture_bytes("PNG", (300, 200)), "lamp.png"))
    )
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "The picture could not be stored; try again later." in response.content.decode()
    assert not Product.objects.exists() and not ProductImage.objects.exists()
    on_s3.server.start()  # for the fixture's stop()


def test_a_bucket_that_does_not_exist_is_a_form_error_and_nothing_is_kept(client, bob, categories, s3, settings):
    settings.STORAGES = {**settings.STORAGES, "default": s3.storage(bucket="no-such-bucket")}
    response = client.post(
        reverse("products:create"), form(categories, images=upload(picture_bytes("PNG", (300, 200)), "lamp.png"))
    )
    assert response.status_code == 503
    assert "The picture could not be stored; try again later." in response.content.decode()
    assert not Product.objects.exists() and not ProductImage.objects.exists()
    assert s3.keys() == set()


def test_a_picture_the_bucket_cannot_give_is_a_503_or_a_404_never_a_500(client, bob, make_product, on_s3):
    image = ProductImage.objects.get(product_id=make_product(bob, images=[upload(picture_bytes())]))
    url = reverse("products:image", args=[image.pk])
    on_s3.client.delete_object(Bucket=BUCKET, Key=f"{PREFIX}/{image.file}")
    assert client.get(url).status_code == 404  # gone from the bucket: no such picture
    assert client.get(url, {"size": "240"}).status_code == 200  # its thumbnail is still there
    on_s3.server.stop()
    try:
        response = client.get(url, {"size": "480"})
        assert response.status_code == 503 and response["Retry-After"] == "30"
    finally:
        on_s3.server.start()
