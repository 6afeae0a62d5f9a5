"""One HTTP POST with a JSON body, for webhooks and the SMS and DingTalk adapters. No database.

Standard library only (urllib). Redirects are not followed: a webhook or gateway that answers 3xx
is misconfigured, and following it would resend a signed body to a place nobody approved. Proxies
come from the usual environment variables (HTTPS_PROXY, NO_PROXY), as government networks often
need an egress proxy.
"""

import http.client
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

USER_AGENT = "gridgov-notifications/1"
# Enough of the receiver's answer to show in an error; the rest is not read.
MAX_RESPONSE_BYTES = 64 * 1024
MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class PostResult:
    """What came back: a status code and body, or no status and the network error."""

    status: int | None
    body: bytes = b""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def describe(self) -> str:
        """A short text for an error column: the network error, or the status and the start of the body."""
        if self.status is None:
            return self.error[:MAX_ERROR_CHARS]
        text = self.body.decode("utf-8", errors="replace").strip()
        return f"HTTP {self.status}: {text}"[:MAX_ERROR_CHARS] if text else f"HTTP {self.status}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post_json(url: str, body: bytes, headers: Mapping[str, str], *, timeout: float) -> PostResult:
    """POST `body` (already JSON, UTF-8) to `url`. Never raises for network or HTTP errors."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        return PostResult(status=None, error=f"not an http(s) URL: {url[:100]}")
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("User-Agent", USER_AGENT)
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with _opener.open(request, timeout=timeout) as response:
            return PostResult(status=response.status, body=response.read(MAX_RESPONSE_BYTES))
    except urllib.error.HTTPError as error:
        # 4xx, 5xx and (unfollowed) 3xx answers: the receiver spoke; keep what it said.
        try:
            answer = error.read(MAX_RESPONSE_BYTES)
        except (OSError, http.client.HTTPException):
            answer = b""
        finally:
            error.close()
        return PostResult(status=error.code, body=answer)
    except urllib.error.URLError as error:
        return PostResult(status=None, error=f"{type(error.reason).__name__}: {error.reason}")
    except (OSError, http.client.HTTPException) as error:
        # Timeouts, resets, a receiver that closed without answering.
        return PostResult(status=None, error=f"{type(error).__name__}: {error}".rstrip(": "))
