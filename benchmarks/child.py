"""One scenario in a fresh interpreter: ``python -m benchmarks.child '<json spec>'``.

Prints one JSON line: the engine's result plus this process's peak RSS (``VmHWM``, which a
freshly exec'd process does not inherit, unlike ``ru_maxrss``) and its RSS before the work.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import traceback
from pathlib import Path
from typing import Any

import orjson


def proc_status_kb(field: str) -> int | None:
    """A ``kB`` field of /proc/self/status (Linux only)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def main(argv: list[str]) -> int:
    spec: dict[str, Any] = orjson.loads(argv[0])
    out: dict[str, Any] = {}
    try:
        from benchmarks.engines import ENGINES

        engine = ENGINES[spec["engine"]]
        # Import what the engine needs before measuring the starting RSS.
        if spec["engine"] == "dlt":
            import dlt  # noqa: F401
        else:
            import lorchestra.stack_clients.event_client  # noqa: F401
            import lorchestra.warehouse.duckdb_backend  # noqa: F401
        out["start_kb"] = proc_status_kb("VmRSS")
        args = (Path(spec["db"]), Path(spec["input"]), spec.get("limit"))
        profile_to = spec.get("profile")
        if profile_to:
            profiler = cProfile.Profile()
            result = profiler.runcall(engine, *args)
            profiler.dump_stats(profile_to)
            with open(profile_to + ".txt", "w", encoding="utf-8") as text:
                stats = pstats.Stats(profile_to, stream=text).strip_dirs()
                stats.sort_stats("tottime").print_stats(25)
                stats.sort_stats("cumulative").print_stats(40)
        else:
            result = engine(*args)
        out.update(result)
    except Exception as exc:  # noqa: BLE001 - reported, never raised: benchmarks are reports
        out["error"] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    out["peak_kb"] = proc_status_kb("VmHWM")
    sys.stdout.write(orjson.dumps(out).decode() + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
