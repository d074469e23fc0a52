"""A Tesla account: the cloud session TOU sync and Powerwall cloud control borrow.

Signed in with the user's Tesla developer app (OAuth through application credentials, the
tokens refreshed by Home Assistant), or a static token of a Fleet API proxy such as Teslemetry.
"""

from __future__ import annotations

from homeassistant.const import CONF_ACCESS_TOKEN, CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.helpers.config_entry_oauth2_flow import (
    OAuth2Session,
    async_get_config_entry_implementation,
)

from ..const import CONF_BASE_URL, EntryKind
from ..runtime import SourceSpec, TesConfigEntry
from .account import TeslaAccount, oauth_token_provider, static_token_provider
from .coordinator import TeslaAccountCoordinator, TeslaAccountRuntime
from .flow import TeslaAccountSteps


async def async_build(hass: HomeAssistant, entry: TesConfigEntry) -> TeslaAccountRuntime:
    """Return the account's session and the coordinator that lists its energy sites."""
    if CONF_TOKEN in entry.data:
        implementation = await async_get_config_entry_implementation(hass, entry)
        token = oauth_token_provider(OAuth2Session(hass, entry, implementation))
    else:
        token = static_token_provider(entry.data[CONF_ACCESS_TOKEN])
    account = TeslaAccount(hass, entry, base_url=entry.data[CONF_BASE_URL], token=token)
    return TeslaAccountRuntime(account=account, sites=TeslaAccountCoordinator(hass, entry, account))


SPEC = SourceSpec(
    kind=EntryKind.TESLA_ACCOUNT,
    build=async_build,
    flow=TeslaAccountSteps,
    reauth=TeslaAccountSteps.async_step_tesla_account_reauth,
    reconfigure=TeslaAccountSteps.tesla_account_reconfigure,
    # The OAuth token's secrets, and what names the account's homes.
    redact=frozenset({"refresh_token", "id_token", "site_name", "gateway_id"}),
)
