-- Failed jobs in the last @days days, newest first.
SELECT created_at, correlation_id AS run_id, source_system AS package,
       JSON_VALUE(payload, '$.job') AS job, error_message
FROM event_log
WHERE event_type = 'job.failed'
  AND created_at >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL CAST(@days AS INT64) DAY)
ORDER BY created_at DESC
