-- Per job, runs of the last @days days: runs, failures, mean duration and the last start.
SELECT MAX(source_system) AS package,
       MAX(JSON_VALUE(payload, '$.job')) AS job,
       COUNT(DISTINCT correlation_id) AS runs,
       COUNT(DISTINCT IF(event_type = 'job.failed', correlation_id, NULL)) AS failed,
       ROUND(AVG(IF(event_type IN ('job.completed', 'job.failed'),
                    CAST(JSON_VALUE(payload, '$.duration_s') AS FLOAT64), NULL)), 3)
         AS avg_duration_s,
       MAX(IF(event_type = 'job.started', created_at, NULL)) AS last_run
FROM event_log
WHERE event_type IN ('job.started', 'job.completed', 'job.failed')
  AND correlation_id NOT IN (SELECT correlation_id FROM event_log
                             WHERE event_type = 'job.rejected')
  AND created_at >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL CAST(@days AS INT64) DAY)
GROUP BY source_system, JSON_VALUE(payload, '$.job')
ORDER BY package, job
