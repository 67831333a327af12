-- Alerts of the last @days days, newest first: kind, job, the run it is about, and delivery.
SELECT created_at, JSON_VALUE(payload, '$.kind') AS kind, JSON_VALUE(payload, '$.job') AS job,
       JSON_VALUE(payload, '$.run_id') AS run_id, status, error_message
FROM event_log
WHERE event_type = 'alert.sent'
  AND created_at >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL CAST(@days AS INT64) DAY)
ORDER BY created_at DESC
