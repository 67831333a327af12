-- Per-client weekly snapshots of one ISO week: --param year=2026 --param week=47 (needs the reporter's projections).
SELECT * FROM reporting_snapshots
WHERE iso_year = CAST(@year AS INT64) AND iso_week = CAST(@week AS INT64)
ORDER BY contact_id
