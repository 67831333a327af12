"""Deterministic synthetic source data for lorchestra: Gmail, Exchange, Forms, Dataverse, Stripe.

Everything is invented: one clinician's practice with clients who email, fill in questionnaires,
attend weekly sessions and pay invoices, shaped exactly like the providers' API payloads. The same
`(seed, size, anchor)` always gives byte-identical output, and generation streams, so a million
records take no more memory than ten. `generate` writes JSONL files and a manifest;
`iter_records` streams one file's records for benchmarks; `lorchestra-sample-data` is the CLI.
"""

from sample_data._generate import (
    DEFAULT_ANCHOR,
    DEFAULT_SEED,
    DEFAULT_SIZE,
    Manifest,
    ManifestFile,
    expected_counts,
    generate,
    iter_records,
)
from sample_data._instruments import question_id
from sample_data._plan import FILES, FileSpec

__all__ = [
    "DEFAULT_ANCHOR",
    "DEFAULT_SEED",
    "DEFAULT_SIZE",
    "FILES",
    "FileSpec",
    "Manifest",
    "ManifestFile",
    "expected_counts",
    "generate",
    "iter_records",
    "question_id",
]
__version__ = "0.1.0"
