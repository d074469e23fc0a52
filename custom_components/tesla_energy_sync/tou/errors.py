"""Why a tariff could not be planned or failed validation."""

from __future__ import annotations

import datetime as dt


class PlanError(Exception):
    """No tariff may be uploaded: the prices or the tariff are not trustworthy."""


class MissingPrices(PlanError):  # noqa: N818 - named for what the lead reports to the user
    """Too many of the 96 buy and sell values had no price for their slot."""

    def __init__(self, missing: int, allowed: int) -> None:
        """Keep the counts for the log and diagnostics."""
        super().__init__(f"{missing} of 96 buy/sell prices missing (at most {allowed} allowed)")
        self.missing = missing
        self.allowed = allowed


class StalePrices(PlanError):  # noqa: N818 - reads as a reason, like MissingPrices
    """The newest price is too old to describe the coming day."""

    def __init__(self, newest: dt.datetime | None, now: dt.datetime) -> None:
        """Keep when the data ended and when we looked."""
        if newest is None:
            message = "no prices at all"
        else:
            message = f"newest price ended {newest.isoformat()}, {now - newest} before now"
        super().__init__(message)
        self.newest = newest
        self.now = now


class InvalidTariff(PlanError):  # noqa: N818 - reads as a reason, like MissingPrices
    """A tariff dict breaks one of Tesla's rules."""
