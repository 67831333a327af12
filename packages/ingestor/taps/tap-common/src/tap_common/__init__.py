"""Shared pieces of lorchestra's Singer taps (built with the Meltano Singer SDK).

`common_settings`, `refresh_token_settings` and `client_credentials_settings` return the
settings a tap declares; `ApiStream` is the REST stream base class with the retry and error
policy, reading exactly the window `start_date`/`end_date` give and keeping no bookmark (see its
module: resuming is lorchestra's, from the windows it records); `RefreshTokenAuthenticator` and
`ClientCredentialsAuthenticator` fetch and renew OAuth 2.0 bearer tokens; `parse_instant` and
`setting_instant` read the date settings and `retry_after_seconds` a Retry-After header.
`ODataStream` reads an OData v4 collection (Microsoft Graph, Dataverse) oldest first by a
datetime column, paging by `@odata.nextLink`. A record that breaks its stream's schema is sent
as a quarantine marker instead of failing the run (`_quarantine`). A tap::

    class MessagesStream(ApiStream[str]):
        @cached_property
        def authenticator(self) -> RefreshTokenAuthenticator:
            return RefreshTokenAuthenticator.from_config(self.config, self.tap_name)
"""

from tap_common._auth import ClientCredentialsAuthenticator, RefreshTokenAuthenticator
from tap_common._odata import (
    NextLinkPaginator,
    ODataStream,
    odata_datetime,
    odata_query,
    window_filter,
)
from tap_common._retry import retry_after_seconds, wait_generator
from tap_common._settings import (
    client_credentials_settings,
    common_settings,
    parse_instant,
    refresh_token_settings,
    setting_instant,
)
from tap_common._stream import RETRIED_EXCEPTIONS, ApiStream

__all__ = [
    "RETRIED_EXCEPTIONS",
    "ApiStream",
    "ClientCredentialsAuthenticator",
    "NextLinkPaginator",
    "ODataStream",
    "RefreshTokenAuthenticator",
    "client_credentials_settings",
    "common_settings",
    "odata_datetime",
    "odata_query",
    "parse_instant",
    "refresh_token_settings",
    "retry_after_seconds",
    "setting_instant",
    "wait_generator",
    "window_filter",
]
__version__ = "0.1.0"
