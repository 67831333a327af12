"""Fake provider APIs for the taps' tests: stdlib HTTP servers on 127.0.0.1.

`FakeApi` is the base (faults, request log, OAuth token endpoint, bearer checks). On it:
`GoogleApi` (Google's error body) with `FakeGmail` (Gmail's users.messages list/get) and
`FakeGoogleForms` (Forms' forms.get and forms.responses.list); `MicrosoftApi` (per-tenant
tokens, Microsoft's error body, OData next links) with `FakeGraphMail` (Graph's message
listing) and `FakeDataverse` (Dataverse Web API entity sets); `FakeStripe` (Stripe's list
endpoints, API key auth). `meltano_runs` (imported on its own: it needs the ingestor) runs a tap
through the repository's Meltano project against them, and `tap_checks` (which needs it too)
holds the settings and checks the taps' Meltano tests share.
"""

from tests.support.fake_apis._google import GoogleApi
from tests.support.fake_apis._server import (
    Credentials,
    FakeApi,
    LoggedRequest,
    Request,
    Response,
)
from tests.support.fake_apis.dataverse import FakeDataverse
from tests.support.fake_apis.gmail import FakeGmail
from tests.support.fake_apis.google_forms import FakeGoogleForms
from tests.support.fake_apis.msgraph import FakeGraphMail, MicrosoftApi
from tests.support.fake_apis.stripe import FakeStripe

__all__ = ["Credentials", "FakeApi", "FakeDataverse", "FakeGmail", "FakeGoogleForms",
           "FakeGraphMail", "FakeStripe", "GoogleApi", "LoggedRequest", "MicrosoftApi",
           "Request", "Response"]
