-- The results of the last data-check run (lorchestra check), as recorded in event_log.
SELECT created_at, correlation_id AS run_id, status, TO_JSON_STRING(payload) AS data
FROM event_log
WHERE event_type = 'checks.completed'
ORDER BY created_at DESC
LIMIT 1
