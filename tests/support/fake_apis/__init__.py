"""Fake provider APIs for the taps' tests: stdlib HTTP servers on 127.0.0.1.

`FakeApi` is the base (faults, request log, OAuth token endpoint, bearer checks); `FakeGmail`
serves Gmail's users.messages list/get. `meltano_runs` (imported on its own: it needs the
ingestor) runs a tap through the repository's Meltano project against them.
"""

from tests.support.fake_apis._server import (
    Credentials,
    FakeApi,
    LoggedRequest,
    Request,
    Response,
)
from tests.support.fake_apis.gmail import FakeGmail

__all__ = ["Credentials", "FakeApi", "FakeGmail", "LoggedRequest", "Request", "Response"]
