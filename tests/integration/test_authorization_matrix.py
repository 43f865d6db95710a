"""Every URL pattern × every kind of visitor: the answer each must get.

The patterns come from the live URLconf (tests/support/url_matrix.py), so a new URL without a
row here fails ``test_every_url_has_an_expectation``. Each cell is one request on a shared world
(two buyers, two vendors, a pending shop, an order, a withdrawal, a deposit proposal, a reload)
whose database effects are rolled back, so cells do not depend on each other. Staff visitors
hold one role each and a verified second factor; ``super`` is a superuser.

Tokens: the status code, ``L`` = sent to sign in, ``2F`` = sent to the second-factor page,
``RA`` = asked for the password again (recent re-authentication), ``R`` = another redirect (a form
that worked, or the admin's "no such object"). A row is
``"GET": "anon buyer buyer2 vendor vendor2 support moderator finance operator super"``.

docs/security.md prints this table; ``test_docs_print_the_matrix`` keeps the two in step
(``MATRIX_WRITE_DOCS=1`` rewrites the section from this file).
"""

import os
import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.support.catalog import picture_bytes, upload
from tests.support.staff import verified_client
from tests.support.url_matrix import VISITORS, request_once, routes, token

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "security.md"
BEGIN, END = "<!-- matrix:begin -->", "<!-- matrix:end -->"

# url name (with [variant] where one pattern is tried with several arguments) -> method -> tokens.
# Reviewed cell by cell: a change here is a change of who may do what, and says so in review.
EXPECTED: dict[str, dict[str, str]] = {
    # Any path under /api/v1/ that is not an operation: a JSON 404 in the API's one error shape.
    "api:api/^v1/": {
        "GET": "404 404 404 404 404 404 404 404 404 404",
        "POST": "404 404 404 404 404 404 404 404 404 404",
    },
    "api:openapi-json": {
        "GET": "200 200 200 200 200 200 200 200 200 200",
        "POST": "405 405 405 405 405 405 405 405 405 405",
    },
    "api:openapi-view": {
        "GET": "200 200 200 200 200 200 200 200 200 200",
        "POST": "405 405 405 405 405 405 405 405 405 405",
    },
    # One's own tokens, behind the password again (minting a credential); only the owner revokes.
    "api:revoke-token": {
        "GET": "L   405 405 405 405 405 405 405 405 405",
        "POST": "L   R   404 404 404 404 404 404 404 404",
    },
    "api:tokens": {
        "GET": "L   RA  RA  RA  RA  RA  RA  RA  RA  RA",
        "POST": "L   RA  RA  RA  RA  RA  RA  RA  RA  RA",
    },
    # row: {method: "anon buyer buyer2 vendor vendor2 support moderator finance operator super"}
    "accounts:email": {
        "GET": "L   RA  RA  RA  RA  RA  RA  RA  RA  RA",
        "POST": "L   RA  RA  RA  RA  RA  RA  RA  RA  RA",
    },
    "accounts:email_resend": {
        "GET": "L   405 405 405 405 405 405 405 405 405",
        "POST": "L   R   R   R   R   R   R   R   R   R",
    },
    "accounts:login": {
        "GET": "200 200 200 200 200 200 200 200 200 200",
        "POST": "200 200 200 200 200 200 200 200 200 200",
    },
    "accounts:login_code": {
        "GET": "L   L   L   L   L   L   L   L   L   L",
        "POST": "L   L   L   L   L   L   L   L   L   L",
    },
    "accounts:logout": {
        "GET": "405 405 405 405 405 405 405 405 405 405",
        "POST": "R   R   R   R   R   R   R   R   R   R",
    },
    "accounts:password": {
        "GET": "L   RA  RA  RA  RA  RA  RA  RA  RA  RA",
        "POST": "L   RA  RA  RA  RA  RA  RA  RA  RA  RA",
    },
    "accounts:password_reset": {
        "GET": "200 200 200 200 200 200 200 200 200 200",
        "POST": "400 400 400 400 400 400 400 400 400 400",
    },
    "accounts:password_reset_complete": {
        "GET": "200 200 200 200 200 200 200 200 200 200",
        "POST": "405 405 405 405 405 405 405 405 405 405",
    },
    "accounts:password_reset_confirm": {
        "GET": "400 400 400 400 400 400 400 400 400 400",
        "POST": "400 400 400 400 400 400 400 400 400 400",
    },
    "accounts:password_reset_done": {
        "GET": "200 200 200 200 200 200 200 200 200 200",
        "POST": "405 405 405 405 405 405 405 405 405 405",
    },
    "accounts:profile": {
        "GET": "L   200 200 200 200 200 200 200 200 200",
        "POST": "L   200 200 200 200 200 200 200 200 200",
    },
    "accounts:reauth": {
        "GET": "L   200 200 200 200 200 200 200 200 200",
        "POST": "L   200 200 200 200 200 200 200 200 200",
    },
    "accounts:recovery_codes": {
        "GET": "L   RA  RA  RA  RA  RA  RA  RA  RA  RA",
        "POST": "L   RA  RA  RA  RA  RA  RA  RA  RA  RA",
    },
    "accounts:register": {
        "GET": "200 R   R   R   R   R   R   R   R   R",
        "POST": "200 R   R   R   R   R   R   R   R   R",
    },
    "accounts:two_factor": {
        "GET": "L   200 200 200 200 R   R   R   R   R",
        "POST": "L   200 200 200 200 R   R   R   R   R",
    },
    "accounts:two_factor_off": {
        "GET": "L   RA  RA  RA  RA  RA  RA  RA  RA  RA",
        "POST": "L   RA  RA  RA  RA  RA  RA  RA  RA  RA",
    },
    "accounts:verify_email": {
        "GET": "200 200 200 200 200 200 200 200 200 200",
        "POST": "400 400 400 400 400 400 400 400 400 400",
    },
    "admin:accounts_user_add": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:accounts_user_change": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:accounts_user_changelist": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:accounts_user_delete": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:accounts_user_history": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:admin/(?P<url>.*)$": {
        "GET": "L   L   L   L   L   404 404 404 404 404",
        "POST": "L   L   L   L   L   404 404 404 404 404",
    },
    "admin:admin/accounts/user/<path:object_id>/": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:admin/auth/group/<path:object_id>/": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:admin/axes/accessattempt/<path:object_id>/": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:admin/axes/accessfailurelog/<path:object_id>/": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:admin/axes/accesslog/<path:object_id>/": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:admin/notifications/notification/<path:object_id>/": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:admin/ops/reloadrequest/<path:object_id>/": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:admin/orders/dispute/<path:object_id>/": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:admin/orders/order/<path:object_id>/": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:admin/orders/review/<path:object_id>/": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:admin/otp_static/staticdevice/<path:object_id>/": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:admin/otp_totp/totpdevice/<path:object_id>/": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:admin/products/category/<path:object_id>/": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:admin/products/product/<path:object_id>/": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:admin/products/productreport/<path:object_id>/": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:admin/vendors/vendor/<path:object_id>/": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:admin/wallets/account/<path:object_id>/": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:admin/wallets/deposit/<path:object_id>/": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:admin/wallets/depositaddress/<path:object_id>/": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:admin/wallets/journalentry/<path:object_id>/": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:admin/wallets/withdrawal/<path:object_id>/": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:app_list[accounts]": {
        "GET": "L   L   L   L   L   404 404 404 404 200",
        "POST": "L   L   L   L   L   404 404 404 404 200",
    },
    "admin:app_list[auth]": {
        "GET": "L   L   L   L   L   404 404 404 404 200",
        "POST": "L   L   L   L   L   404 404 404 404 200",
    },
    "admin:app_list[axes]": {
        "GET": "L   L   L   L   L   404 404 404 200 200",
        "POST": "L   L   L   L   L   404 404 404 200 200",
    },
    "admin:app_list[notifications]": {
        "GET": "L   L   L   L   L   404 404 404 404 200",
        "POST": "L   L   L   L   L   404 404 404 404 200",
    },
    "admin:app_list[ops]": {
        "GET": "L   L   L   L   L   404 404 404 200 200",
        "POST": "L   L   L   L   L   404 404 404 200 200",
    },
    "admin:app_list[orders]": {
        "GET": "L   L   L   L   L   200 404 404 404 200",
        "POST": "L   L   L   L   L   200 404 404 404 200",
    },
    "admin:app_list[otp_static]": {
        "GET": "L   L   L   L   L   404 404 404 404 200",
        "POST": "L   L   L   L   L   404 404 404 404 200",
    },
    "admin:app_list[otp_totp]": {
        "GET": "L   L   L   L   L   404 404 404 404 200",
        "POST": "L   L   L   L   L   404 404 404 404 200",
    },
    "admin:app_list[products]": {
        "GET": "L   L   L   L   L   404 200 404 404 200",
        "POST": "L   L   L   L   L   404 200 404 404 200",
    },
    "admin:app_list[vendors]": {
        "GET": "L   L   L   L   L   404 200 404 404 200",
        "POST": "L   L   L   L   L   404 200 404 404 200",
    },
    "admin:app_list[wallets]": {
        "GET": "L   L   L   L   L   404 404 200 404 200",
        "POST": "L   L   L   L   L   404 404 200 404 200",
    },
    "admin:auth_group_add": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:auth_group_change": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:auth_group_changelist": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:auth_group_delete": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:auth_group_history": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:auth_user_password_change": {
        "GET": "L   L   L   L   L   403 403 403 403 404",
        "POST": "L   L   L   L   L   403 403 403 403 404",
    },
    "admin:autocomplete": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   405 405 405 405 405",
    },
    "admin:axes_accessattempt_add": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:axes_accessattempt_change": {
        "GET": "L   L   L   L   L   403 403 403 R   R",
        "POST": "L   L   L   L   L   403 403 403 403 R",
    },
    "admin:axes_accessattempt_changelist": {
        "GET": "L   L   L   L   L   403 403 403 200 200",
        "POST": "L   L   L   L   L   403 403 403 200 200",
    },
    "admin:axes_accessattempt_delete": {
        "GET": "L   L   L   L   L   403 403 403 403 R",
        "POST": "L   L   L   L   L   403 403 403 403 R",
    },
    "admin:axes_accessattempt_history": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:axes_accessfailurelog_add": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:axes_accessfailurelog_change": {
        "GET": "L   L   L   L   L   403 403 403 R   R",
        "POST": "L   L   L   L   L   403 403 403 403 R",
    },
    "admin:axes_accessfailurelog_changelist": {
        "GET": "L   L   L   L   L   403 403 403 200 200",
        "POST": "L   L   L   L   L   403 403 403 200 200",
    },
    "admin:axes_accessfailurelog_delete": {
        "GET": "L   L   L   L   L   403 403 403 403 R",
        "POST": "L   L   L   L   L   403 403 403 403 R",
    },
    "admin:axes_accessfailurelog_history": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:axes_accesslog_add": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:axes_accesslog_change": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 R",
    },
    "admin:axes_accesslog_changelist": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:axes_accesslog_delete": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:axes_accesslog_history": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:index": {
        "GET": "L   L   L   L   L   200 200 200 200 200",
        "POST": "L   L   L   L   L   200 200 200 200 200",
    },
    "admin:jsi18n": {
        "GET": "L   L   L   L   L   200 200 200 200 200",
        "POST": "L   L   L   L   L   405 405 405 405 405",
    },
    "admin:login": {"GET": "200 200 200 200 200 R   R   R   R   R", "POST": "200 200 200 200 200 200 200 200 200 200"},
    "admin:logout": {"GET": "R   R   R   R   R   405 405 405 405 405", "POST": "R   R   R   R   R   R   R   R   R   R"},
    "admin:notifications_notification_add": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:notifications_notification_change": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:notifications_notification_changelist": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:notifications_notification_delete": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:notifications_notification_history": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:ops_reloadrequest_add": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:ops_reloadrequest_change": {
        "GET": "L   L   L   L   L   403 403 403 200 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:ops_reloadrequest_changelist": {
        "GET": "L   L   L   L   L   403 403 403 200 200",
        "POST": "L   L   L   L   L   403 403 403 200 200",
    },
    "admin:ops_reloadrequest_delete": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:ops_reloadrequest_history": {
        "GET": "L   L   L   L   L   403 403 403 200 200",
        "POST": "L   L   L   L   L   403 403 403 200 200",
    },
    "admin:orders_dispute_add": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:orders_dispute_change": {
        "GET": "L   L   L   L   L   200 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:orders_dispute_changelist": {
        "GET": "L   L   L   L   L   200 403 403 403 200",
        "POST": "L   L   L   L   L   200 403 403 403 200",
    },
    "admin:orders_dispute_delete": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:orders_dispute_history": {
        "GET": "L   L   L   L   L   200 403 403 403 200",
        "POST": "L   L   L   L   L   200 403 403 403 200",
    },
    "admin:orders_order_add": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:orders_order_change": {
        "GET": "L   L   L   L   L   200 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:orders_order_changelist": {
        "GET": "L   L   L   L   L   200 403 403 403 200",
        "POST": "L   L   L   L   L   200 403 403 403 200",
    },
    "admin:orders_order_delete": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:orders_order_history": {
        "GET": "L   L   L   L   L   200 403 403 403 200",
        "POST": "L   L   L   L   L   200 403 403 403 200",
    },
    "admin:orders_review_add": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:orders_review_change": {
        "GET": "L   L   L   L   L   R   403 403 403 R",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:orders_review_changelist": {
        "GET": "L   L   L   L   L   200 403 403 403 200",
        "POST": "L   L   L   L   L   200 403 403 403 200",
    },
    "admin:orders_review_delete": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:orders_review_history": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:otp_static_staticdevice_add": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:otp_static_staticdevice_change": {
        "GET": "L   L   L   L   L   403 403 403 403 R",
        "POST": "L   L   L   L   L   403 403 403 403 R",
    },
    "admin:otp_static_staticdevice_changelist": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:otp_static_staticdevice_delete": {
        "GET": "L   L   L   L   L   403 403 403 403 R",
        "POST": "L   L   L   L   L   403 403 403 403 R",
    },
    "admin:otp_static_staticdevice_history": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:otp_totp_totpdevice_add": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:otp_totp_totpdevice_change": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:otp_totp_totpdevice_changelist": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:otp_totp_totpdevice_config": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:otp_totp_totpdevice_delete": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:otp_totp_totpdevice_history": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:otp_totp_totpdevice_qrcode": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:password_change": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:password_change_done": {
        "GET": "L   L   L   L   L   200 200 200 200 200",
        "POST": "L   L   L   L   L   405 405 405 405 405",
    },
    "admin:products_category_add": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:products_category_change": {
        "GET": "L   L   L   L   L   403 200 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:products_category_changelist": {
        "GET": "L   L   L   L   L   403 200 403 403 200",
        "POST": "L   L   L   L   L   403 200 403 403 200",
    },
    "admin:products_category_delete": {
        "GET": "L   L   L   L   L   403 403 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 200",
    },
    "admin:products_category_history": {
        "GET": "L   L   L   L   L   403 200 403 403 200",
        "POST": "L   L   L   L   L   403 200 403 403 200",
    },
    "admin:products_product_add": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:products_product_change": {
        "GET": "L   L   L   L   L   403 200 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:products_product_changelist": {
        "GET": "L   L   L   L   L   403 200 403 403 200",
        "POST": "L   L   L   L   L   403 200 403 403 200",
    },
    "admin:products_product_delete": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:products_product_history": {
        "GET": "L   L   L   L   L   403 200 403 403 200",
        "POST": "L   L   L   L   L   403 200 403 403 200",
    },
    "admin:products_productreport_add": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:products_productreport_change": {
        "GET": "L   L   L   L   L   403 R   403 403 R",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:products_productreport_changelist": {
        "GET": "L   L   L   L   L   403 200 403 403 200",
        "POST": "L   L   L   L   L   403 200 403 403 200",
    },
    "admin:products_productreport_delete": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:products_productreport_history": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:vendors_vendor_add": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:vendors_vendor_change": {
        "GET": "L   L   L   L   L   403 200 403 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:vendors_vendor_changelist": {
        "GET": "L   L   L   L   L   403 200 403 403 200",
        "POST": "L   L   L   L   L   403 200 403 403 200",
    },
    "admin:vendors_vendor_delete": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:vendors_vendor_history": {
        "GET": "L   L   L   L   L   403 200 403 403 200",
        "POST": "L   L   L   L   L   403 200 403 403 200",
    },
    "admin:view_on_site": {
        "GET": "L   L   L   L   L   404 404 404 404 404",
        "POST": "L   L   L   L   L   404 404 404 404 404",
    },
    "admin:wallets_account_add": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:wallets_account_change": {
        "GET": "L   L   L   L   L   403 403 200 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:wallets_account_changelist": {
        "GET": "L   L   L   L   L   403 403 200 403 200",
        "POST": "L   L   L   L   L   403 403 200 403 200",
    },
    "admin:wallets_account_delete": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:wallets_account_history": {
        "GET": "L   L   L   L   L   403 403 200 403 200",
        "POST": "L   L   L   L   L   403 403 200 403 200",
    },
    "admin:wallets_deposit_add": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:wallets_deposit_change": {
        "GET": "L   L   L   L   L   403 403 200 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:wallets_deposit_changelist": {
        "GET": "L   L   L   L   L   403 403 200 403 200",
        "POST": "L   L   L   L   L   403 403 200 403 200",
    },
    "admin:wallets_deposit_delete": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:wallets_deposit_history": {
        "GET": "L   L   L   L   L   403 403 200 403 200",
        "POST": "L   L   L   L   L   403 403 200 403 200",
    },
    "admin:wallets_depositaddress_add": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:wallets_depositaddress_change": {
        "GET": "L   L   L   L   L   403 403 R   403 R",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:wallets_depositaddress_changelist": {
        "GET": "L   L   L   L   L   403 403 200 403 200",
        "POST": "L   L   L   L   L   403 403 200 403 200",
    },
    "admin:wallets_depositaddress_delete": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:wallets_depositaddress_history": {
        "GET": "L   L   L   L   L   R   R   R   R   R",
        "POST": "L   L   L   L   L   R   R   R   R   R",
    },
    "admin:wallets_journalentry_add": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:wallets_journalentry_change": {
        "GET": "L   L   L   L   L   403 403 200 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:wallets_journalentry_changelist": {
        "GET": "L   L   L   L   L   403 403 200 403 200",
        "POST": "L   L   L   L   L   403 403 200 403 200",
    },
    "admin:wallets_journalentry_delete": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:wallets_journalentry_history": {
        "GET": "L   L   L   L   L   403 403 200 403 200",
        "POST": "L   L   L   L   L   403 403 200 403 200",
    },
    "admin:wallets_withdrawal_add": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:wallets_withdrawal_change": {
        "GET": "L   L   L   L   L   403 403 200 403 200",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:wallets_withdrawal_changelist": {
        "GET": "L   L   L   L   L   403 403 200 403 200",
        "POST": "L   L   L   L   L   403 403 200 403 200",
    },
    "admin:wallets_withdrawal_delete": {
        "GET": "L   L   L   L   L   403 403 403 403 403",
        "POST": "L   L   L   L   L   403 403 403 403 403",
    },
    "admin:wallets_withdrawal_history": {
        "GET": "L   L   L   L   L   403 403 200 403 200",
        "POST": "L   L   L   L   L   403 403 200 403 200",
    },
    "csp-report": {"GET": "405 405 405 405 405 405 405 405 405 405", "POST": "204 204 204 204 204 204 204 204 204 204"},
    "design": {"GET": "L   403 403 403 403 403 403 403 200 200", "POST": "L   403 403 403 403 403 403 403 405 405"},
    "health": {"GET": "200 200 200 200 200 200 200 200 200 200", "POST": "405 405 405 405 405 405 405 405 405 405"},
    "health-live": {
        "GET": "200 200 200 200 200 200 200 200 200 200",
        "POST": "405 405 405 405 405 405 405 405 405 405",
    },
    "health-ready": {
        "GET": "200 200 200 200 200 200 200 200 200 200",
        "POST": "405 405 405 405 405 405 405 405 405 405",
    },
    "home": {"GET": "200 200 200 200 200 200 200 200 200 200", "POST": "405 405 405 405 405 405 405 405 405 405"},
    "favicon": {"GET": "200 200 200 200 200 200 200 200 200 200", "POST": "405 405 405 405 405 405 405 405 405 405"},
    "apple-touch-icon": {
        "GET": "200 200 200 200 200 200 200 200 200 200",
        "POST": "405 405 405 405 405 405 405 405 405 405",
    },
    "language": {"GET": "R   R   R   R   R   R   R   R   R   R", "POST": "405 405 405 405 405 405 405 405 405 405"},
    "metrics": {"GET": "200 200 200 200 200 200 200 200 200 200", "POST": "405 405 405 405 405 405 405 405 405 405"},
    "notifications:inbox": {
        "GET": "L   200 200 200 200 200 200 200 200 200",
        "POST": "L   405 405 405 405 405 405 405 405 405",
    },
    "notifications:mark-read": {
        "GET": "L   405 405 405 405 405 405 405 405 405",
        "POST": "L   R   R   R   R   R   R   R   R   R",
    },
    # One's own notification only (the buyer's); anyone else's is a 404, the same as none.
    "notifications:mark-one-read": {
        "GET": "L   405 405 405 405 405 405 405 405 405",
        "POST": "L   R   404 404 404 404 404 404 404 404",
    },
    "notifications:open": {
        "GET": "L   R   404 404 404 404 404 404 404 404",
        "POST": "L   405 405 405 405 405 405 405 405 405",
    },
    "notifications:preferences": {
        "GET": "L   405 405 405 405 405 405 405 405 405",
        "POST": "L   R   R   R   R   R   R   R   R   R",
    },
    "ops:index": {"GET": "L   403 403 403 403 403 403 403 200 200", "POST": "405 405 405 405 405 405 405 405 405 405"},
    "ops:reload": {"GET": "L   403 403 403 403 403 403 403 200 200", "POST": "L   403 403 403 403 403 403 403 R   R"},
    "ops:reload-detail": {
        "GET": "L   403 403 403 403 403 403 403 200 200",
        "POST": "405 405 405 405 405 405 405 405 405 405",
    },
    "ops:retry-task": {
        "GET": "405 405 405 405 405 405 405 405 405 405",
        "POST": "L   403 403 403 403 403 403 403 R   R",
    },
    "orders:act[accept]": {
        "GET": "L   405 405 405 405 405 405 405 405 405",
        "POST": "L   409 404 R   404 403 404 403 404 403",
    },
    "orders:act[message-disputed]": {
        "GET": "L   405 405 405 405 405 405 405 405 405",
        "POST": "L   R   404 R   404 403 404 R   404 R",
    },
    "orders:act[message]": {
        "GET": "L   405 405 405 405 405 405 405 405 405",
        "POST": "L   R   404 R   404 403 404 403 404 403",
    },
    "orders:cart": {
        "GET": "L   200 200 200 200 200 200 200 200 200",
        "POST": "L   405 405 405 405 405 405 405 405 405",
    },
    "orders:cart-add": {
        "GET": "L   405 405 405 405 405 405 405 405 405",
        "POST": "L   R   R   400 R   R   R   R   R   R",
    },
    "orders:cart-update": {
        "GET": "L   405 405 405 405 405 405 405 405 405",
        "POST": "L   400 400 400 400 400 400 400 400 400",
    },
    "orders:checkout": {
        "GET": "L   200 200 200 200 200 200 200 200 200",
        "POST": "L   400 400 400 400 400 400 400 400 400",
    },
    "orders:detail": {
        "GET": "L   200 404 200 404 200 404 200 404 200",
        "POST": "L   405 405 405 405 405 405 405 405 405",
    },
    "orders:disputes": {
        "GET": "L   403 403 403 403 403 403 200 403 200",
        "POST": "L   403 403 403 403 403 403 405 403 405",
    },
    "orders:list": {
        "GET": "L   200 200 200 200 200 200 200 200 200",
        "POST": "L   405 405 405 405 405 405 405 405 405",
    },
    "orders:lookup": {
        "GET": "L   403 403 403 403 200 403 200 403 200",
        "POST": "L   403 403 403 403 405 403 405 403 405",
    },
    "orders:resolve": {
        "GET": "L   403 403 403 403 403 403 405 403 405",
        "POST": "L   403 403 403 403 403 403 R   403 R",
    },
    "orders:sales": {
        "GET": "L   403 403 200 200 403 403 403 403 403",
        "POST": "L   405 405 405 405 405 405 405 405 405",
    },
    "products:create": {
        "GET": "L   403 403 200 200 403 403 403 403 403",
        "POST": "L   403 403 200 200 403 403 403 403 403",
    },
    "products:delete": {
        "GET": "L   403 403 200 404 403 403 403 403 403",
        "POST": "L   403 403 R   404 403 403 403 403 403",
    },
    "products:detail": {
        "GET": "200 200 200 200 200 200 200 200 200 200",
        "POST": "405 405 405 405 405 405 405 405 405 405",
    },
    "products:edit": {
        "GET": "L   403 403 200 404 403 403 403 403 403",
        "POST": "L   403 403 200 404 403 403 403 403 403",
    },
    "products:image": {
        "GET": "200 200 200 200 200 200 200 200 200 200",
        "POST": "405 405 405 405 405 405 405 405 405 405",
    },
    "products:list": {
        "GET": "200 200 200 200 200 200 200 200 200 200",
        "POST": "405 405 405 405 405 405 405 405 405 405",
    },
    "products:moderate-dismiss": {
        "GET": "L   403 403 403 403 403 405 403 403 405",
        "POST": "L   403 403 403 403 403 R   403 403 R",
    },
    "products:moderate-restore": {
        "GET": "L   403 403 403 403 403 405 403 403 405",
        "POST": "L   403 403 403 403 403 400 403 403 400",
    },
    "products:moderate-unlist": {
        "GET": "L   403 403 403 403 403 405 403 403 405",
        "POST": "L   403 403 403 403 403 R   403 403 R",
    },
    "products:moderation": {
        "GET": "L   403 403 403 403 403 200 403 403 200",
        "POST": "L   403 403 403 403 403 405 403 403 405",
    },
    "products:relist": {
        "GET": "L   405 405 405 405 405 405 405 405 405",
        "POST": "L   403 403 R   404 403 403 403 403 403",
    },
    "products:report": {
        "GET": "L   200 200 200 200 200 200 200 200 200",
        "POST": "L   200 200 200 200 200 200 200 200 200",
    },
    "products:unlist": {
        "GET": "L   405 405 405 405 405 405 405 405 405",
        "POST": "L   403 403 R   404 403 403 403 403 403",
    },
    "vendors:apply": {
        "GET": "L   200 200 R   R   200 200 200 200 200",
        "POST": "L   200 200 R   R   200 200 200 200 200",
    },
    "vendors:approve": {
        "GET": "L   403 403 403 403 403 405 403 403 405",
        "POST": "L   403 403 403 403 403 R   403 403 R",
    },
    "vendors:dashboard": {
        "GET": "L   R   R   200 200 R   R   R   R   R",
        "POST": "L   405 405 405 405 405 405 405 405 405",
    },
    "vendors:edit-shop": {
        "GET": "L   R   R   200 200 R   R   R   R   R",
        "POST": "L   R   R   200 200 R   R   R   R   R",
    },
    "vendors:reject": {
        "GET": "L   403 403 403 403 403 405 403 403 405",
        "POST": "L   403 403 403 403 403 R   403 403 R",
    },
    "vendors:staff": {
        "GET": "L   403 403 403 403 403 200 403 403 200",
        "POST": "L   403 403 403 403 403 405 403 403 405",
    },
    "vendors:storefront": {
        "GET": "200 200 200 200 200 200 200 200 200 200",
        "POST": "405 405 405 405 405 405 405 405 405 405",
    },
    "vendors:suspend": {
        "GET": "L   403 403 403 403 403 405 403 403 405",
        "POST": "L   403 403 403 403 403 409 403 403 409",
    },
    "vendors:unsuspend": {
        "GET": "L   403 403 403 403 403 405 403 403 405",
        "POST": "L   403 403 403 403 403 409 403 403 409",
    },
    "wallets:approve": {
        "GET": "L   403 403 403 403 403 403 405 403 405",
        "POST": "L   403 403 403 403 403 403 R   403 R",
    },
    "wallets:cancel-withdrawal": {
        "GET": "L   405 405 405 405 405 405 405 405 405",
        "POST": "L   R   404 404 404 404 404 404 404 404",
    },
    "wallets:confirm-deposit": {
        "GET": "L   403 403 403 403 403 403 405 403 405",
        "POST": "L   403 403 403 403 403 403 R   403 R",
    },
    "wallets:finance": {
        "GET": "L   403 403 403 403 403 403 200 403 200",
        "POST": "L   403 403 403 403 403 403 405 403 405",
    },
    "wallets:propose-deposit": {
        "GET": "L   403 403 403 403 403 403 405 403 405",
        "POST": "L   403 403 403 403 403 403 R   403 R",
    },
    "wallets:queue": {
        "GET": "L   403 403 403 403 403 403 200 403 200",
        "POST": "L   403 403 403 403 403 403 405 403 405",
    },
    "wallets:reject": {
        "GET": "L   403 403 403 403 403 403 405 403 405",
        "POST": "L   403 403 403 403 403 403 R   403 R",
    },
    "wallets:reject-deposit": {
        "GET": "L   403 403 403 403 403 403 405 403 405",
        "POST": "L   403 403 403 403 403 403 R   403 R",
    },
    "wallets:wallet": {
        "GET": "L   200 200 200 200 200 200 200 200 200",
        "POST": "L   405 405 405 405 405 405 405 405 405",
    },
    "wallets:withdraw": {
        "GET": "L   RA  RA  RA  RA  RA  RA  RA  RA  RA",
        "POST": "L   RA  RA  RA  RA  RA  RA  RA  RA  RA",
    },
    # The buyer owns the endpoint: anyone else, staff too, is told it does not exist. Making one
    # and rotating its secret (both show a secret) want a recent password first.
    "webhooks:active": {
        "GET": "L   405 405 405 405 405 405 405 405 405",
        "POST": "L   R   404 404 404 404 404 404 404 404",
    },
    "webhooks:create": {
        "GET": "L   RA  RA  RA  RA  RA  RA  RA  RA  RA",
        "POST": "L   RA  RA  RA  RA  RA  RA  RA  RA  RA",
    },
    "webhooks:delete": {
        "GET": "L   405 405 405 405 405 405 405 405 405",
        "POST": "L   R   404 404 404 404 404 404 404 404",
    },
    "webhooks:detail": {
        "GET": "L   200 404 404 404 404 404 404 404 404",
        "POST": "L   405 405 405 405 405 405 405 405 405",
    },
    "webhooks:list": {
        "GET": "L   200 200 200 200 200 200 200 200 200",
        "POST": "L   405 405 405 405 405 405 405 405 405",
    },
    "webhooks:redeliver": {
        "GET": "L   405 405 405 405 405 405 405 405 405",
        "POST": "L   R   404 404 404 404 404 404 404 404",
    },
    "webhooks:rotate": {
        "GET": "L   405 405 405 405 405 405 405 405 405",
        "POST": "L   RA  RA  RA  RA  RA  RA  RA  RA  RA",
    },
}


@pytest.fixture
def world(make_user, make_staff, make_vendor, make_product, fund, place, order_service, container):
    from marketplace.notifications.models import Notification
    from marketplace.products.models import ProductImage
    from marketplace.tasks.models import TaskRun
    from marketplace.webhooks.models import WebhookDelivery

    buyer, buyer2 = make_user("mbuyer"), make_user("mbuyer2")
    fund(buyer, 2_000_000)
    fund(buyer2, 2_000_000)
    vendor, vendor2 = make_vendor("mvendor"), make_vendor("mvendor2")
    pending = make_vendor("mapplicant", status="pending")
    product = make_product(vendor, title="Matrix lamp", stock=50, images=[upload(picture_bytes())])
    make_product(vendor2, title="Other lamp", stock=50)
    funded = place(buyer, {product: 1})
    disputed = place(buyer, {product: 1})
    order_service.accept(actor_id=vendor.pk, reference=disputed)
    order_service.open_dispute(actor_id=buyer.pk, reference=disputed, reason="It never arrived at all.")
    staff = {role: make_staff(role, username=f"m{role}") for role in ("support", "moderator", "finance", "operator")}
    superuser = make_user("msuper")
    type(superuser).objects.filter(pk=superuser.pk).update(is_superuser=True, is_staff=True)
    superuser.refresh_from_db()
    wallets = container.wallets.wallet_service()
    withdrawal = wallets.request_withdrawal(
        user_id=buyer.pk, address=_outside_address(wallets.network), amount_sat=50_000, idempotency_key="matrix-w1"
    )
    proposer = make_staff("finance", username="mfinance2")
    proposal = wallets.propose_deposit(
        staff_user_id=proposer.pk, user_id=buyer2.pk, amount_sat=75_000, txid="ab" * 32, vout=0
    )
    reload = container.ops.ops_service().reload(kind="service", name="user_service", user=superuser, via="test")
    # The buyer's webhook endpoint, with a delivery that failed (so its owner may send it again).
    token = container.api.api_service().create_token(user_id=buyer.pk, name="matrix", scopes=["catalog:read"])
    hook = container.webhooks.webhook_service().register(
        user_id=buyer.pk, url="https://93.184.215.14/hooks", events=["order.funded"]
    )
    delivery = WebhookDelivery.objects.create(
        endpoint_id=hook.endpoint_id, event_type="order.funded", body="{}", status="failed", created_at=timezone.now()
    )
    notification = Notification.objects.create(
        user=buyer,
        topic="orders.changed",
        kind="orders",
        thread=f"order:{funded}",
        subject=f"Order {funded}",
        body="",
        link=f"/orders/{funded}/",
        backend="log",
        status="sent",
        created_at=timezone.now(),
    )
    failed_task = TaskRun.objects.create(
        name="orders.process_timeouts",
        status="failed",
        attempts=1,
        max_attempts=1,
        created_at=timezone.now(),
        updated_at=timezone.now(),
    )
    people = {"buyer": buyer, "buyer2": buyer2, "vendor": vendor, "vendor2": vendor2, "super": superuser, **staff}
    clients = {"anon": Client()}
    for name, user in people.items():
        if name in staff or name == "super":
            clients[name] = verified_client(user)
        else:
            clients[name] = Client()
            clients[name].force_login(user)
    return {
        "clients": clients,
        "args": {
            "withdrawal_id": withdrawal.withdrawal_id,
            "vendor_id": pending.vendor_id,
            "slug": vendor.shop_slug,
            "product_id": product,
            "image_id": ProductImage.objects.filter(product_id=product).values_list("pk", flat=True).first(),
            "reference": funded,
            "kind": "service",
            "name": "user_service",
            "reload_id": reload.reload_id,
            "run_id": failed_task.pk,
            "notification_id": notification.pk,
            "deposit_id": proposal.deposit_id,
            "endpoint_id": hook.endpoint_id,
            "delivery_id": delivery.pk,
            "token_id": token.token.id,
            "code": "de",
            # Links sent by e-mail: a made-up one (each visitor is refused the same way).
            "token": "not-a-token",
            "uidb64": "MQ",
        },
        "disputed": disputed,
        "buyer_username": buyer.username,
    }


def _outside_address(network: str) -> str:
    from modules.wallets import _demo_destination

    return _demo_destination(network)


# The API's own operations (/api/v1/...) have a table of their own, by scope rather than by role:
# tests/integration/test_api_authorization_matrix.py (each operation × anonymous, each scope, all
# scopes, another user's token). Its description and reference pages are pages, and are here.
API_PAGES = ("api:openapi-json", "api:openapi-view")


def cells(world):
    """(row name, method, url) for every pattern and every variant."""
    admin_objects = _admin_objects()
    for route in routes():
        if route.route.startswith("api/v1/") and route.name not in API_PAGES:
            continue  # an API operation: tests/integration/test_api_authorization_matrix.py
        admin_page = route.name.startswith("admin:")
        variants = _admin_kwargs(route, admin_objects) if admin_page else _site_kwargs(route, world)
        for variant, kwargs in variants:
            url = _url(route, kwargs)
            for method in ("GET", "POST"):
                yield f"{route.name}{variant}", method, url


def _url(route, kwargs) -> str:
    if "/" not in route.name.split(":", 1)[-1]:
        return reverse(route.name, kwargs=kwargs)
    # An unnamed pattern (the admin's redirects): fill its route by hand.
    if "(?P<url>" in route.route:
        return "/admin/no-such-page/"
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), route.route)


def _site_kwargs(route, world):
    args = dict(world["args"])
    if route.name == "orders:act":
        for variant, action, ref in (
            ("accept", "accept", args["reference"]),
            ("message", "message", args["reference"]),
            ("message-disputed", "message", world["disputed"]),
        ):
            yield f"[{variant}]", {"reference": ref, "action": action}
        return
    if route.name == "orders:resolve":
        yield "", {"reference": world["disputed"]}
        return
    yield "", {p: args[p] for p in route.params}


def post_data(row: str, world) -> dict:
    """What a person who may do it would send: so the cell tells "allowed" from "refused"."""
    args = world["args"]
    forms = {
        "orders:act[message]": {"body": "Is it still in stock?"},
        "orders:act[message-disputed]": {"body": "We are looking into it."},
        "orders:resolve": {"ruling": "refund", "note": "Refunded: the parcel never arrived."},
        "orders:cart-add": {"product_id": args["product_id"], "quantity": "1"},
        "favourites:toggle": {"product_id": args["product_id"], "action": "add"},
        "wallets:approve": {"txid": "cd" * 32},
        "wallets:reject": {"reason": "The address looks wrong."},
        "wallets:reject-deposit": {"reason": "No such transaction."},
        "wallets:propose-deposit": {"user": world["buyer_username"], "amount": "0.001", "txid": "ef" * 32, "vout": "1"},
        "ops:reload": {"confirm": "yes"},
        "products:moderate-unlist": {"note": "Counterfeit."},
        "products:moderate-restore": {"note": "Checked again."},
        "vendors:reject": {"reason": "Not enough detail about the shop."},
        "vendors:suspend": {"reason": "Too many complaints."},
        "webhooks:active": {"active": "0"},
    }
    return forms.get(row, {})


def _admin_objects() -> dict[str, object]:
    found = {}
    for model in admin.site._registry:
        first = model._default_manager.order_by("pk").first()
        found[f"{model._meta.app_label}_{model._meta.model_name}"] = first.pk if first else 999_999
    return found


def _admin_kwargs(route, objects):
    if not route.params:
        yield "", {}
        return
    if route.name == "admin:app_list":
        for label in sorted({m._meta.app_label for m in admin.site._registry}):
            yield f"[{label}]", {"app_label": label}
        return
    if route.name == "admin:view_on_site":
        yield "", {"content_type_id": 1, "object_id": 1}
        return
    name = route.name.split(":", 1)[1]
    if "/" in name:  # admin/<app>/<model>/<path:object_id>/, the catch-all
        parts = name.split("/")
        prefix = f"{parts[1]}_{parts[2]}" if len(parts) > 3 else ""
    else:
        prefix = name.rsplit("_", 1)[0]
    object_id = objects.get(prefix, 999_999)
    yield "", {p: object_id for p in route.params}


def observe(world) -> dict[str, dict[str, list[str]]]:
    login_paths = (reverse("accounts:login"), reverse("admin:login"))
    second_factor = reverse("accounts:two_factor")
    table: dict[str, dict[str, list[str]]] = {}
    paths = {"login": login_paths, "two_factor": second_factor, "reauth": reverse("accounts:reauth")}
    for row, method, url in cells(world):
        tokens = []
        data = post_data(row, world) if method == "POST" else None
        for visitor in VISITORS:
            response = request_once(world["clients"][visitor], method, url, data)
            tokens.append(token(response, **paths))
        table.setdefault(row, {})[method] = tokens
    return table


def render(table: dict[str, dict[str, list[str]]]) -> str:
    lines = [
        "| URL name | method | " + " | ".join(VISITORS) + " |",
        "|---|---|" + "---|" * len(VISITORS),
    ]
    for row in sorted(table):
        for method in ("GET", "POST"):
            if method in table[row]:
                lines.append(f"| `{row}` | {method} | " + " | ".join(table[row][method]) + " |")
    return "\n".join(lines)


def test_every_url_has_an_expectation(world):
    rows = {row for row, _method, _url in cells(world)}
    missing = sorted(row for row in rows if row not in EXPECTED and row not in EXAMPLES)
    assert not missing, f"URL patterns with no expected answers in this file: {missing}"


def test_each_visitor_gets_the_expected_answer(world):
    table = observe(world)
    if os.environ.get("MATRIX_PRINT"):
        print(render(table))
    wrong = []
    for row, methods in table.items():
        for method, tokens in methods.items():
            want = _expected(row, method)
            if want is None:
                continue
            for visitor, got, expected in zip(VISITORS, tokens, want, strict=True):
                if got != expected:
                    wrong.append(f"{row} {method} as {visitor}: got {got}, expected {expected}")
    assert not wrong, "\n".join(wrong)


# The example module (examples/favourites), checked when it runs (CI's second pass enables it) and
# not printed in docs/security.md, which covers the marketplace as it comes. Any signed-in visitor
# keeps a list of their own; nobody else's is reachable.
EXAMPLES: dict[str, dict[str, str]] = {
    "favourites:list": {
        "GET": "L   200 200 200 200 200 200 200 200 200",
        "POST": "L   405 405 405 405 405 405 405 405 405",
    },
    "favourites:toggle": {
        "GET": "L   405 405 405 405 405 405 405 405 405",
        "POST": "L   R   R   R   R   R   R   R   R   R",
    },
}


def _expected(row: str, method: str) -> list[str] | None:
    spec = EXPECTED.get(row, EXAMPLES.get(row, {})).get(method)
    return spec.split() if spec else None


def test_docs_print_the_matrix():
    text = DOCS.read_text()
    table = {row: {m: _expected(row, m) for m in methods} for row, methods in EXPECTED.items()}
    rendered = f"{BEGIN}\n{render(table)}\n{END}"
    if os.environ.get("MATRIX_WRITE_DOCS"):
        DOCS.write_text(re.sub(f"{BEGIN}.*?{END}", rendered, text, flags=re.S))
        text = DOCS.read_text()
    assert rendered in text, "docs/security.md does not print the matrix of this file (MATRIX_WRITE_DOCS=1 rewrites it)"
