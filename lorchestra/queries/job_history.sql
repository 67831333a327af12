-- Every ended job run, oldest first: the job (definition id, or package/job when run alone),
-- outcome, end time, duration, counts and sanitised error. Metrics and the dashboard read it.
SELECT COALESCE(JSON_VALUE(payload, '$.definition'),
                CONCAT(source_system, '/', JSON_VALUE(payload, '$.job'))) AS job,
       correlation_id AS run_id,
       trace_id,
       IF(event_type = 'job.completed', 'completed', 'failed') AS status,
       created_at AS ended_at,
       CAST(JSON_VALUE(payload, '$.duration_s') AS FLOAT64) AS duration_s,
       TO_JSON_STRING(JSON_QUERY(payload, '$.counts')) AS counts,
       error_message AS error
FROM event_log
WHERE event_type IN ('job.completed', 'job.failed')
ORDER BY created_at, correlation_id
