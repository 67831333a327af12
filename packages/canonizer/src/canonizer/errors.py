"""The canonizer's error types, in one module so callers can catch exactly what they mean.

Every error a caller can act on derives from ``CanonizerError``::

    CanonizerError
    ├── InvalidTransformRef      a ref that is not ``<domain>/<name>[@<version>]``
    ├── TransformNotFound        no such transform (or no stable version of it)
    ├── InvalidTransformParams   a parameter the transform does not declare
    ├── TransformLoadError       bad metadata, missing spec file, spec that does not compile
    │   ├── ChecksumMismatch     the spec's sha256 differs from the one in its metadata
    │   └── SchemaNotFound       an Iglu URI with no shipped or user-supplied schema
    └── TransformRejected        one payload could not be canonicalised (a *data* problem)

``TransformRejected.reason`` is written for logs and the event trail: it names transforms, field
paths and rules, and never carries a value taken from a payload, because payloads hold PHI.
"""

from __future__ import annotations

__all__ = [
    "CanonizerError",
    "ChecksumMismatch",
    "InvalidTransformParams",
    "InvalidTransformRef",
    "SchemaNotFound",
    "TransformLoadError",
    "TransformNotFound",
    "TransformRejected",
]


class CanonizerError(Exception):
    """Base class of every error the canonizer raises on purpose."""


class InvalidTransformRef(CanonizerError):
    """A transform ref that does not parse as ``<domain>/<name>[@<version>]``."""


class TransformNotFound(CanonizerError):
    """No transform is registered under the ref asked for."""


class InvalidTransformParams(CanonizerError):
    """Parameters passed to a transform that it does not declare."""


class TransformLoadError(CanonizerError):
    """A transform or schema shipped with the package or a user directory failed to load."""


class ChecksumMismatch(TransformLoadError):
    """A spec file's sha256 differs from the checksum recorded in its metadata."""


class SchemaNotFound(TransformLoadError):
    """A transform names a schema URI that no loaded schema declares as its ``$id``."""


class TransformRejected(CanonizerError):
    """One payload could not be canonicalised; ``reason`` says why without quoting values.

    The message is ``"<ref>: <reason>"`` so a bare ``str(exc)`` in a log is still useful.
    """

    def __init__(self, reason: str, ref: str | None = None) -> None:
        self.reason = reason
        self.ref = ref
        super().__init__(f"{ref}: {reason}" if ref else reason)
