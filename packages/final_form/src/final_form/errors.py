"""Errors raised by final_form, in one place so callers can catch them by kind.

The tree is small::

    FinalFormError                    base of every error this package raises on purpose
    ├── DefinitionError (ValueError)  an instrument or binding file is malformed; the message
    │                                 names the file and the offending field
    ├── UnknownInstrumentError (KeyError-like lookup failure, also a ValueError)
    └── UnknownMissingPolicyError (ValueError)

Bad *responses* passed to ``score()`` (a value outside the response range, a wrong count)
raise plain ``ValueError`` naming the item, because that is a caller error of the ordinary
kind. Problems with individual form answers never raise: the row builder reports them as
diagnostics instead.
"""

from __future__ import annotations


class FinalFormError(Exception):
    """Base class for the errors final_form raises deliberately."""


class DefinitionError(FinalFormError, ValueError):
    """An instrument definition or form binding failed validation.

    The message always starts with the file name (or ``<memory>`` for in-memory data) and
    names the field, e.g. ``phq9.json: scales[0].bands: bands must be contiguous ...``.
    """


class UnknownInstrumentError(FinalFormError, ValueError):
    """No instrument definition with the requested id is registered."""


class UnknownMissingPolicyError(FinalFormError, ValueError):
    """The requested missing-item policy is not declared in the instrument definition."""
