"""tap-google-forms through a real `meltano run tap-google-forms target-jsonl` (slow)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.support.fake_apis.google_forms import FakeGoogleForms
from tests.support.fake_apis.meltano_runs import MeltanoRunner, RunResult
from tests.support.fake_apis.tap_checks import (
    BAD_REFRESH_TOKEN,
    REJECTED_BEARER,
    assert_refused_credentials,
    assert_rerun_emits_the_window_once,
    assert_retries_logged,
    assert_waited_as_retry_after_said,
    interrupted_then_rerun,
    run_ok,
    run_refused,
)

pytestmark = pytest.mark.slow

Forms = dict[str, list[dict[str, Any]]]


def _form(form_id: str) -> str:
    return f"/v1/forms/{form_id}"


def _list(form_id: str) -> str:
    return f"/v1/forms/{form_id}/responses"


def _at(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["lastSubmittedTime"])


def _filter_at(moment: datetime) -> str:
    return f"timestamp >= {moment:%Y-%m-%dT%H:%M:%S.%fZ}"


def _gets(api: FakeGoogleForms, form_id: str) -> list[int | None]:
    """The status of each forms.get request for a form."""
    return [r.status for r in api.requests_to(_form(form_id)) if r.path == _form(form_id)]


def _filters(api: FakeGoogleForms, form_id: str) -> list[str | None]:
    """The `filter` of each list request for a form (None when it had none)."""
    return [r.query["filter"][0] if "filter" in r.query else None
            for r in api.requests_to(_list(form_id))]


def _pages(records: list[dict[str, Any]], form_id: str) -> int:
    """How many list pages (10 a page, at least one) the form's share of `records` takes."""
    return max(1, -(-sum(r["formId"] == form_id for r in records) // 10))


def _never_logged(result: RunResult, api: FakeGoogleForms, records: list[dict[str, Any]]) -> None:
    # Secrets, every token issued, and what respondents wrote (their addresses stand for it:
    # answers are option texts that the form itself also holds).
    sensitive = [*api.credentials.secrets(), *api.issued_tokens,
                 *{record["respondentEmail"] for record in records}]
    assert result.leaked(sensitive) == []


def test_full_sync_emits_every_response_with_its_form(
        runner: MeltanoRunner, forms: FakeGoogleForms, settings: dict[str, Any],
        by_form: Forms, records: list[dict[str, Any]]) -> None:
    result = run_ok(runner, settings)
    # Each form oldest first although the fake lists by responseId; formId restored, _form added.
    assert result.records == records
    assert len(forms.requests_to("/token")) == 1
    for form_id, responses in by_form.items():
        assert _gets(forms, form_id) == [200]  # once per form
        assert _filters(forms, form_id) == [None] * -(-len(responses) // 10)  # 10 a page
    _never_logged(result, forms, records)


def test_window_selects_exactly(
        runner: MeltanoRunner, forms: FakeGoogleForms, settings: dict[str, Any],
        by_form: Forms) -> None:
    followup = next(iter(by_form.values()))
    start, end = _at(followup[5]), _at(followup[20])
    result = run_ok(runner, {**settings, "start_date": followup[5]["lastSubmittedTime"],
                             "end_date": followup[20]["lastSubmittedTime"]})
    expected = [r for responses in by_form.values() for r in responses if start <= _at(r) < end]
    assert followup[5:20] == expected[:15]  # start_date inclusive, end_date exclusive
    assert result.records == expected
    for form_id in by_form:
        assert set(_filters(forms, form_id)) == {_filter_at(start)}


def test_consecutive_windows_read_each_response_in_its_own_window(
        runner: MeltanoRunner, forms: FakeGoogleForms, settings: dict[str, Any],
        by_form: Forms, records: list[dict[str, Any]]) -> None:
    # The first window ends at the intake form's newest response (the forms' timelines
    # overlap a little): what either form has from then on is new.
    newest = by_form["form_intake_v1"][-1]
    cut = _at(newest)
    old = [r for r in records if _at(r) < cut]
    new = [r for r in records if _at(r) >= cut]
    assert {r["formId"] for r in old} == {r["formId"] for r in new} == set(by_form)
    with FakeGoogleForms(old, credentials=forms.credentials) as api:
        settings = {**settings, "api_url": api.url, "token_url": api.token_url}
        first = run_ok(runner, {**settings, "end_date": newest["lastSubmittedTime"]})
        assert first.records == old  # form by form, each oldest first

        api.add(new)
        second = run_ok(runner, {**settings, "start_date": newest["lastSubmittedTime"]})
        assert second.records == new  # the later window: the new responses only
        for form_id in by_form:
            assert _filters(api, form_id) == [None] * _pages(old, form_id) + [
                _filter_at(cut)] * _pages(new, form_id)
        _never_logged(second, api, records)


def test_an_interrupted_window_is_read_again_whole(
        runner: MeltanoRunner, forms: FakeGoogleForms, settings: dict[str, Any],
        by_form: Forms, records: list[dict[str, Any]]) -> None:
    (followup_id, followup), (intake_id, intake) = by_form.items()
    end = sorted(records, key=_at)[-5]  # a window ending before the 5 newest responses
    window = [r for r in records if _at(r) < _at(end)]
    # The first form (its forms.get and its pages) and the second's forms.get, then 500 for
    # ever; then the same window without faults.
    served = 2 + _pages(window, followup_id)
    run = interrupted_then_rerun(runner, forms, {**settings, "end_date": end["lastSubmittedTime"]},
                                 path_prefix="/v1/forms/", served=served, stream="responses")
    assert run.first.records == [r for r in window if r["formId"] == followup_id]
    assert_rerun_emits_the_window_once(run, window, "responseId")
    assert _gets(forms, followup_id) == [200, 200] and _gets(forms, intake_id)[-1] == 200
    _never_logged(run.first, forms, records)


def test_429_waits_as_retry_after_says(
        runner: MeltanoRunner, forms: FakeGoogleForms, settings: dict[str, Any],
        records: list[dict[str, Any]]) -> None:
    page = _list(settings["form_ids"][0])
    forms.fail_next(page, status=429, headers={"Retry-After": "1"})
    result = run_ok(runner, settings)
    assert result.records == records
    refused, retried = forms.requests_to(page)[:2]
    assert_waited_as_retry_after_said(result, refused, retried)
    assert (retried.status, retried.query) == (200, refused.query)


def test_500_and_connection_reset_are_retried(
        runner: MeltanoRunner, forms: FakeGoogleForms, settings: dict[str, Any],
        records: list[dict[str, Any]]) -> None:
    followup_id, intake_id = settings["form_ids"]
    forms.fail_next(_form(followup_id), status=500, times=2)  # its forms.get comes first
    forms.reset_next(_list(intake_id))  # the second form's first page
    result = run_ok(runner, settings)
    assert result.records == records
    assert _gets(forms, followup_id) == [500, 500, 200]
    assert [r.status for r in forms.requests_to(_list(intake_id))][:2] == [None, 200]
    assert_retries_logged(result)


@pytest.mark.parametrize("refusal", [BAD_REFRESH_TOKEN, REJECTED_BEARER])
def test_refused_credentials_fail_at_once_with_a_clear_message(
        runner: MeltanoRunner, forms: FakeGoogleForms, settings: dict[str, Any],
        records: list[dict[str, Any]], refusal: str) -> None:
    # A rejected bearer: a token that expires at once, as after a revoked consent.
    result = run_refused(runner, forms, settings, refusal)
    assert_refused_credentials(result, forms, refusal, tap="tap-google-forms", stream="responses",
                               check="client_id, client_secret and refresh_token",
                               api_prefix="/v1/", token_path="/token")
    _never_logged(result, forms, records)
