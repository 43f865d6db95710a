"""A small HTTP client for tests against a real server: cookies, CSRF, no redirect following.

Every request opens its own connection, so a server with several worker processes spreads
them over its workers the way separate browsers would.
"""

import http.client
import re
import time
import urllib.parse
from dataclasses import dataclass
from http.cookies import SimpleCookie


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def served_by(self) -> str | None:
        return self.headers.get("x-served-by")


class HttpClient:
    def __init__(self, base_url: str, timeout: float = 30.0):
        parsed = urllib.parse.urlparse(base_url)
        self.host, self.port = parsed.hostname, parsed.port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, data: dict | None = None, headers: dict | None = None) -> Response:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        sent = {"Host": f"{self.host}:{self.port}", "Connection": "close", **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=sent)
            raw = connection.getresponse()
            payload = raw.read()
            headers = {k.lower(): v for k, v in raw.getheaders()}
            for value in raw.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(value)
                for name, morsel in cookie.items():
                    self.cookies[name] = morsel.value
        finally:
            connection.close()
        return Response(raw.status, headers, payload, time.perf_counter() - started)

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, data: dict, **kwargs) -> Response:
        """POST with the CSRF token the page (or the cookie) gives, as a browser would."""
        token = self.cookies.get("csrftoken")
        if token is None:
            page = self.get(path)
            match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
            token = match.group(1).decode() if match else self.cookies.get("csrftoken", "")
        return self.request("POST", path, data={"csrfmiddlewaretoken": token, **data}, **kwargs)

    def login(self, username: str, password: str) -> None:
        self.get("/accounts/login/")
        response = self.post_form("/accounts/login/", {"username": username, "password": password})
        if response.status != 302:
            raise AssertionError(f"login as {username} failed: {response.status}")
