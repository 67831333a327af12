"""A small command line for transform authors: ``python -m canonizer list`` shows the loaded
transforms (with ``--dir`` for user directories) and ``python -m canonizer checksum FILE``
prints the ``sha256:`` value of a spec, and ``checksum --update X.meta.json`` writes it into the
metadata after a deliberate edit of the spec beside it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from canonizer._registry import load_registry, spec_checksum
from canonizer.errors import CanonizerError


def _update(meta_path: Path) -> int:
    """Recompute the checksum recorded in one metadata file from the spec beside it."""
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    spec = meta_path.parent / meta["spec"]
    meta["checksum"] = spec_checksum(spec.read_bytes().decode("utf-8"))
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"{meta_path}: {meta['checksum']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m canonizer", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="list loaded transforms")
    listing.add_argument("--dir", action="append", default=[], help="a user transform directory")
    checksum = commands.add_parser("checksum", help="print the checksum of a spec file")
    checksum.add_argument("file", type=Path, help="a spec file, or a *.meta.json with --update")
    checksum.add_argument(
        "--update", action="store_true", help="rewrite the checksum in the given *.meta.json"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "checksum":
            if args.update:
                return _update(args.file)
            print(spec_checksum(args.file.read_bytes().decode("utf-8")))
            return 0
        registry = load_registry(args.dir)
        for info in registry.list():
            print(f"{info.ref:58} {info.engine:8} {info.status:10} -> {info.canonical_kind}")
        for where, error in sorted(registry.errors.items()):
            print(f"not loaded: {where}: {error}", file=sys.stderr)
        return 1 if registry.errors else 0
    except (CanonizerError, OSError, UnicodeDecodeError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
