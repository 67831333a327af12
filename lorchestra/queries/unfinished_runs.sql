-- Job runs that started and have not ended (no completed, failed, skipped, rejected or
-- abandoned event).
SELECT correlation_id AS run_id,
       MAX(source_system) AS package,
       MAX(JSON_VALUE(payload, '$.job')) AS job,
       MAX(JSON_VALUE(payload, '$.definition')) AS definition,
       MIN(created_at) AS started_at
FROM event_log
WHERE event_type IN ('job.started', 'job.completed', 'job.failed', 'job.skipped', 'job.rejected',
                     'job.abandoned')
  AND correlation_id IS NOT NULL
GROUP BY correlation_id
HAVING COUNTIF(event_type != 'job.started') = 0
ORDER BY started_at
