-- Job runs that started in the last @days days, one row per run (status NULL while running;
-- 'abandoned' once a later run found its process gone).
SELECT correlation_id AS run_id,
       MAX(trace_id) AS trace_id,
       MAX(source_system) AS package,
       MAX(JSON_VALUE(payload, '$.job')) AS job,
       MAX(JSON_VALUE(payload, '$.definition')) AS definition,
       MIN(created_at) AS started_at,
       MAX(CASE WHEN event_type = 'job.completed' THEN 'completed'
                WHEN event_type = 'job.failed' THEN 'failed'
                WHEN event_type = 'job.skipped' THEN 'skipped'
                WHEN event_type = 'job.abandoned' THEN 'abandoned' END) AS status,
       MAX(CAST(JSON_VALUE(payload, '$.duration_s') AS FLOAT64)) AS duration_s,
       MAX(IF(event_type = 'job.completed',
              TO_JSON_STRING(JSON_QUERY(payload, '$.counts')), NULL)) AS counts,
       MAX(error_message) AS error
FROM event_log
WHERE event_type IN ('job.started', 'job.completed', 'job.failed', 'job.skipped',
                     'job.abandoned')
  AND correlation_id NOT IN (SELECT correlation_id FROM event_log
                             WHERE event_type = 'job.rejected')
  AND created_at >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL CAST(@days AS INT64) DAY)
GROUP BY correlation_id
ORDER BY started_at DESC
