"""A small JSON-RPC client for Bitcoin Core (``bitcoind``), standard library only.

Amounts arrive as JSON numbers in BTC; they are parsed straight to ``Decimal`` (never float).
Credentials come from the configuration (``BITCOIN_RPC_USER``/``BITCOIN_RPC_PASSWORD``) or from
the node's cookie file, and never appear in an error message.
"""

import base64
import itertools
import json
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from pathlib import Path

from services.errors import ChainBackendError, ChainRpcError

MAX_RESPONSE_BYTES = 32 * 1024 * 1024


class BitcoinRpcClient:
    def __init__(
        self,
        *,
        url: str,
        wallet: str = "",
        user: str = "",
        password: str = "",
        cookie_file: str = "",
        timeout_seconds: float = 10.0,
    ):
        parts = urllib.parse.urlsplit(url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"BITCOIN_RPC_URL must be an http(s) URL, got {_redact(url)!r}")
        self._user = user or urllib.parse.unquote(parts.username or "")
        self._password = password or urllib.parse.unquote(parts.password or "")
        netloc = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        if ":" in parts.hostname:  # IPv6 literal
            netloc = f"[{parts.hostname}]" + (f":{parts.port}" if parts.port else "")
        self.base_url = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
        self.wallet = wallet or ""
        self._cookie_file = cookie_file or ""
        self.timeout_seconds = float(timeout_seconds)
        self._ids = itertools.count(1)

    def call(self, method: str, *params, wallet: bool = True):
        """``method(*params)`` on the node (on the configured wallet unless ``wallet=False``)."""
        url = self.base_url
        if wallet and self.wallet:
            url += "/wallet/" + urllib.parse.quote(self.wallet, safe="")
        request_id = next(self._ids)
        body = json.dumps({"jsonrpc": "1.0", "id": request_id, "method": method, "params": list(params)})
        request = urllib.request.Request(
            url,
            data=body.encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": self._authorization()},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                raw = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            # Bitcoin Core answers RPC errors with HTTP 500 (404 for an unknown method or
            # wallet) and a JSON body; 401 (bad credentials) has no body.
            raw = exc.read(MAX_RESPONSE_BYTES + 1)
            if exc.code in (401, 403):
                raise ChainBackendError(
                    f"the bitcoin node refused our credentials (HTTP {exc.code}) for {method}"
                ) from None
            if not raw:
                raise ChainBackendError(f"the bitcoin node answered HTTP {exc.code} to {method}") from None
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ChainBackendError(f"cannot reach the bitcoin node at {_redact(self.base_url)} ({reason})") from None
        if len(raw) > MAX_RESPONSE_BYTES:
            raise ChainBackendError(f"the bitcoin node's answer to {method} is too large")
        try:
            reply = json.loads(raw, parse_float=Decimal)
        except ValueError:
            raise ChainBackendError(f"the bitcoin node's answer to {method} is not JSON") from None
        if not isinstance(reply, dict):
            raise ChainBackendError(f"the bitcoin node's answer to {method} is not a JSON-RPC reply")
        error = reply.get("error")
        if error:
            message = error.get("message") if isinstance(error, dict) else str(error)
            code = error.get("code") if isinstance(error, dict) else None
            raise ChainRpcError(
                f"bitcoin node: {method} failed: {message} (code {code})",
                rpc_code=code if isinstance(code, int) else None,
            )
        if reply.get("id") != request_id:
            raise ChainBackendError(f"the bitcoin node answered another request than {method}")
        return reply.get("result")

    def _authorization(self) -> str:
        user, password = self._user, self._password
        if self._cookie_file:
            try:
                user, _, password = Path(self._cookie_file).read_text().strip().partition(":")
            except OSError as exc:
                raise ChainBackendError(f"cannot read the bitcoin node's cookie file: {exc.strerror}") from None
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        return f"Basic {token}"

    def describe(self) -> dict:
        return {"url": _redact(self.base_url), "wallet": self.wallet}


def _redact(url: str) -> str:
    parts = urllib.parse.urlsplit(url or "")
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = host if parts.port is None else f"{host}:{parts.port}"
        return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    return url
