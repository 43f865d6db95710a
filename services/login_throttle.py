"""Counts failed logins per username and per client address in the shared cache.

A fixed window that opens at the first failure: after ``max_attempts`` failures for one
username (or four times as many from one address) further attempts are refused until the
window closes, whether or not the password would have been right.
"""

import hashlib

IP_FACTOR = 4


class LoginThrottle:
    def __init__(self, *, cache, max_attempts: int, window_seconds: int):
        if max_attempts < 1 or window_seconds < 1:
            raise ValueError("login throttle needs max_attempts >= 1 and window_seconds >= 1")
        self._cache = cache
        self.max_attempts = max_attempts
        self.window_seconds = window_seconds

    @staticmethod
    def _user_key(username: str) -> str:
        digest = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
        return f"login-fail:user:{digest}"

    @staticmethod
    def _ip_key(client_ip: str) -> str:
        digest = hashlib.sha256((client_ip or "unknown").encode()).hexdigest()[:32]
        return f"login-fail:ip:{digest}"

    def is_blocked(self, *, username: str, client_ip: str) -> bool:
        counts = self._cache.get_many([self._user_key(username), self._ip_key(client_ip)])
        user_failures = counts.get(self._user_key(username)) or 0
        ip_failures = counts.get(self._ip_key(client_ip)) or 0
        return user_failures >= self.max_attempts or ip_failures >= self.max_attempts * IP_FACTOR

    def record_failure(self, *, username: str, client_ip: str) -> None:
        for key in (self._user_key(username), self._ip_key(client_ip)):
            # add() only starts the window; incr() is atomic on Redis and in local memory.
            self._cache.add(key, 0, timeout=self.window_seconds)
            try:
                self._cache.incr(key)
            except ValueError:  # expired between add and incr
                self._cache.set(key, 1, timeout=self.window_seconds)

    def reset(self, *, username: str) -> None:
        self._cache.delete(self._user_key(username))
