"""tap-google-forms: a Singer tap for the Google Forms API, built on lorchestra's `tap_common`.

One stream, `responses`: the submitted responses to the configured forms (`form_ids`) exactly as
forms.responses.list returns them, plus `formId` and `_form` (the form's forms.get resource),
oldest first per form, over the window [start_date, end_date) of lastSubmittedTime (see
`streams`).
"""

from tap_google_forms.tap import TapGoogleForms

__all__ = ["TapGoogleForms"]
__version__ = "0.1.0"
