"""Write-path benchmarks: ``python -m benchmarks`` (what ``make bench`` runs).

Measures lorchestra's batched upsert into DuckDB against two references in one run on one
machine: the floor (DuckDB reading the same NDJSON itself and applying one MERGE) and a peer
(dlt's ``merge`` write disposition). Every scenario runs in its own fresh interpreter so that
its peak memory (``VmHWM``) is its own. Benchmarks report; they never fail the build.
"""
