"""The HTTP side of ``maturity fetch``: one client per run, retries that real APIs demand.

* ``httpx`` speaks HTTP (timeouts, connection reuse, basic and header auth);
* ``tenacity`` retries: a 429 waits what its ``Retry-After`` says (seconds or an HTTP date,
  capped at ``MAX_RETRY_AFTER``), a 5xx, a timeout or a dropped connection waits with full
  jitter (``wait_random_exponential``); ``MAX_ATTEMPTS`` tries at most, then one line;
* a 401 or 403 stops at once, naming the environment variables to set;
* credentials go in headers or basic auth, never in a URL, so no request description this
  module writes (the archive's manifest, a message, the progress line) can hold them, and
  every message is passed through ``redact`` for good measure.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from maturity.errors import ConfigError, MaturityError

#: Tries per request before giving up (the first and seven retries).
MAX_ATTEMPTS = 8
#: The longest single wait a ``Retry-After`` may ask for, in seconds.
MAX_RETRY_AFTER = 300.0
#: Waits between tries without a ``Retry-After``: full jitter, up to this many seconds.
MAX_BACKOFF = 60.0
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class FetchError(MaturityError):
    """The tool could not deliver (rate limited past every retry, a server failing, the
    network down): one line, exit 1, and the archive as it was."""

    exit_code = 1


class CredentialsError(ConfigError):
    """The API refused the credentials, or they are not set: exit 2, naming the variables."""


class _Retryable(Exception):
    """A response or failure worth another try (429, 5xx, timeout, dropped connection)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (longer than 3 characters) replaced by ``***``."""
    for secret in secrets:
        if secret and len(secret) > 3:
            text = text.replace(secret, "***")
    return text


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """A ``Retry-After`` header as seconds to wait: a number of seconds or an HTTP date;
    None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass
class Stats:
    """What a run did, for the progress line and the manifest."""

    requests: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    waited_seconds: float = 0.0


@dataclass
class Client:
    """GETs against one API, with the retries above. ``source``: the tool's name for
    messages; ``credentials``: the environment variables the secrets came from (named in
    a 401's message); ``secrets``: their values, redacted from every message."""

    source: str
    base_url: str
    credentials: tuple[str, ...]
    secrets: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: httpx.Auth | tuple[str, str] | None = None
    sleep: Callable[[float], None] = time.sleep
    on_wait: Callable[[float, str], None] | None = None
    max_attempts: int = MAX_ATTEMPTS
    stats: Stats = field(default_factory=Stats)

    def __post_init__(self) -> None:
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Accept": "application/json", "User-Agent": _user_agent(), **self.headers},
            auth=self.auth,
            timeout=TIMEOUT,
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        """The successful response to ``GET path`` (a path under the base URL, or a full URL
        the API itself gave, as a next-page link); retried as the module says."""
        retrying = Retrying(
            retry=retry_if_exception(lambda exc: isinstance(exc, _Retryable)),
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            sleep=self.sleep,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        try:
            return retrying(self._get_once, path, params)
        except _Retryable as exc:
            raise FetchError(
                self._clean(
                    f"{self.source}: {exc}; gave up after {self.max_attempts} tries "
                    f"({self.stats.waited_seconds:.0f} s of waiting); run the fetch again "
                    "later: the archive is unchanged"
                )
            ) from None

    def _get_once(self, path: str, params: Mapping[str, Any] | None) -> httpx.Response:
        self.stats.requests += 1
        try:
            response = self._http.get(path, params=params)
        except httpx.TimeoutException:
            raise _Retryable(f"no answer from {self._host()} in time") from None
        except httpx.TransportError as exc:
            raise _Retryable(
                f"the connection to {self._host()} failed ({type(exc).__name__})"
            ) from None
        status = response.status_code
        if status == 429:
            raise _Retryable(
                f"rate limited by {self._host()} (429 Too Many Requests)",
                retry_after_seconds(response.headers.get("Retry-After")),
            )
        if status >= 500:
            raise _Retryable(
                f"{self._host()} failed ({status} {response.reason_phrase})",
                retry_after_seconds(response.headers.get("Retry-After")),
            )
        if status in (401, 403):
            names = " and ".join(self.credentials)
            raise CredentialsError(
                self._clean(
                    f"{self.source}: the API refused the credentials ({status} "
                    f"{response.reason_phrase}): set {names} to valid ones (read from the "
                    "environment only, never from a file)"
                )
            )
        if status >= 400:
            detail = " ".join(response.text.split())[:200]
            raise FetchError(
                self._clean(
                    f"{self.source}: {response.request.method} {response.request.url.path} "
                    f"answered {status} {response.reason_phrase}"
                    + (f": {detail}" if detail else "")
                    + ("; check --base-url or the instance variable" if status == 404 else "")
                )
            )
        return response

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = getattr(exc, "retry_after", None)
        if asked is not None:
            return min(float(asked), MAX_RETRY_AFTER)
        jitter = wait_random_exponential(multiplier=1, max=MAX_BACKOFF)
        return float(jitter(state))

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        seconds = state.next_action.sleep if state.next_action else 0.0
        self.stats.retries += 1
        self.stats.waited_seconds += seconds
        if "rate limited" in str(exc):
            self.stats.rate_limit_waits += 1
        if self.on_wait is not None:
            self.on_wait(seconds, self._clean(str(exc)))

    def _host(self) -> str:
        return httpx.URL(self.base_url).host or self.base_url

    def _clean(self, text: str) -> str:
        return redact(text, self.secrets)


def _user_agent() -> str:
    import maturity

    return f"maturity/{maturity.__version__} (+https://github.com/maturity)"
