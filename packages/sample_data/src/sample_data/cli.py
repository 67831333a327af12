"""`lorchestra-sample-data`: write the synthetic data set to a directory from the command line.

A thin argparse front end over `sample_data.generate`; errors become one line on stderr and exit
status 2, and a short per-file summary goes to stdout.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import date

from sample_data._generate import DEFAULT_ANCHOR, DEFAULT_SEED, DEFAULT_SIZE, generate
from sample_data._plan import FILES

_EPILOG = """\
layout:
  OUT_DIR/<source_system>/<connection>/<object_type>.jsonl, one API payload per line,
  plus OUT_DIR/manifest.json (files, record counts, external id fields, SHA-256).
  Directories are created 0700 and files 0600.

streams (for --only):
{streams}

examples:
  lorchestra-sample-data demo-data                      # ~300 records, 12 clients
  lorchestra-sample-data big --size 1000000             # streams; constant memory
  lorchestra-sample-data bench --only gmail/gmail-acct1 --count 100000
  lorchestra-sample-data raw --only gmail --gmail-format raw

All people, addresses and clinical text are invented; email addresses use the reserved
example.com/.net/.org domains. The same --seed, --size and --anchor give byte-identical files.
"""


def _anchor(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    streams = "\n".join(f"  {spec.selector}  (id field: {spec.id_field})" for spec in FILES)
    parser = argparse.ArgumentParser(
        prog="lorchestra-sample-data",
        description=(
            "Generate deterministic SYNTHETIC source data (Gmail, Exchange, Google Forms,\n"
            "Dataverse, Stripe) for one invented counseling practice: the same clients email,\n"
            "fill in questionnaires, attend weekly sessions and pay invoices."
        ),
        epilog=_EPILOG.format(streams=streams),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", help="directory to write into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE,
                        help="total records across all sources, 10 to 10,000,000; email is the "
                             f"bulk (default {DEFAULT_SIZE})")
    parser.add_argument("--anchor", type=_anchor, default=DEFAULT_ANCHOR,
                        help="'today' for the data: every timestamp falls before this date "
                             f"(default {DEFAULT_ANCHOR.isoformat()})")
    parser.add_argument("--only", metavar="SOURCES",
                        help="comma-separated sources or streams to write, e.g. gmail,stripe or "
                             "gmail/gmail-acct1 (default: all)")
    parser.add_argument("--count", type=int,
                        help="write exactly N records to each selected file instead of splitting "
                             "--size (for benchmarks; files are then not cross-consistent)")
    parser.add_argument("--gmail-format", choices=("full", "raw"), default="full",
                        help="Gmail messages as users.messages.get format=full (MIME tree) or "
                             "format=raw (base64url RFC 5322) (default full)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sources = args.only.split(",") if args.only else None
    started = time.perf_counter()
    try:
        manifest = generate(args.out_dir, seed=args.seed, size=args.size, anchor=args.anchor,
                            sources=sources, count=args.count, gmail_format=args.gmail_format)
    except (ValueError, OSError) as exc:
        print(f"lorchestra-sample-data: error: {exc}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    if not args.quiet:
        for f in manifest.files:
            print(f"{f.records:>10,}  {f.path}")
        rate = manifest.total_records / elapsed if elapsed > 0 else 0.0
        print(f"{manifest.total_records:>10,}  records in {elapsed:.1f} s ({rate:,.0f}/s) "
              f"-> {args.out_dir}/manifest.json")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
