"""Errors shared by every client, so the Home Assistant side maps one hierarchy."""

from __future__ import annotations


class ClientError(Exception):
    """Base for every error a client raises."""


class ClientConnectionError(ClientError):
    """The service could not be reached or failed on its side; worth retrying later."""


class ClientTimeoutError(ClientConnectionError):
    """The service did not answer in time."""


class ServerError(ClientConnectionError):
    """The service answered with a 5xx status."""

    def __init__(self, status: int, message: str = "") -> None:
        """Keep the status for the log and diagnostics."""
        super().__init__(f"HTTP {status}{': ' + message if message else ''}")
        self.status = status


class AuthenticationError(ClientError):
    """The credentials were refused (HTTP 401/403 or equivalent)."""


# A kind of refused credentials, raised at request time before anything is sent, so callers
# handle it where they handle a 401: the user has to enter the token again.
class InvalidTokenError(AuthenticationError):
    """The token holds control characters or non-ASCII text, so no header can carry it."""


class RateLimitError(ClientError):
    """The service (or our own budget for it) refuses requests until `retry_after` seconds pass."""

    def __init__(self, retry_after: float, message: str = "rate limited") -> None:
        """Keep when to retry."""
        super().__init__(f"{message}; retry after {retry_after:.0f} s")
        self.retry_after = retry_after


class ResponseError(ClientError):
    """The service answered with a body we cannot use (malformed or unexpected shape)."""


class RequestError(ClientError):
    """The service rejected the request itself (a 4xx other than auth and rate limiting)."""

    def __init__(self, status: int, message: str = "") -> None:
        """Keep the status for the log and diagnostics."""
        super().__init__(f"HTTP {status}{': ' + message if message else ''}")
        self.status = status


class CommandError(ClientError):
    """The device refused a command, or cannot carry it out in the mode it is reached in."""
