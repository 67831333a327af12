-- The last run of each job definition: start, outcome (NULL while running or when abandoned;
-- 'skipped' when it had nothing it could do),
-- duration, counts, sanitised error, and when the definition last completed.
WITH runs AS (
  SELECT correlation_id AS run_id,
         MAX(JSON_VALUE(payload, '$.definition')) AS definition,
         MIN(created_at) AS started_at,
         MAX(CASE WHEN event_type = 'job.completed' THEN 'completed'
                  WHEN event_type = 'job.failed' THEN 'failed'
                  WHEN event_type = 'job.skipped' THEN 'skipped'
                  WHEN event_type = 'job.abandoned' THEN 'abandoned' END) AS outcome,
         MAX(IF(event_type IN ('job.completed', 'job.failed', 'job.skipped'), created_at, NULL))
           AS ended_at,
         MAX(CAST(JSON_VALUE(payload, '$.duration_s') AS FLOAT64)) AS duration_s,
         MAX(IF(event_type = 'job.completed',
                TO_JSON_STRING(JSON_QUERY(payload, '$.counts')), NULL)) AS counts,
         MAX(error_message) AS error
  FROM event_log
  WHERE event_type IN ('job.started', 'job.completed', 'job.failed', 'job.skipped',
                       'job.abandoned')
    AND correlation_id NOT IN (SELECT correlation_id FROM event_log
                               WHERE event_type = 'job.rejected')
    AND JSON_VALUE(payload, '$.definition') IS NOT NULL
  GROUP BY correlation_id
)
SELECT run_id, definition, started_at, outcome, ended_at, duration_s, counts, error,
       -- A job skipped because its source is not configured is not overdue: it did all it could.
       MAX(IF(outcome IN ('completed', 'skipped'), ended_at, NULL)) OVER (PARTITION BY definition)
         AS last_success_at
FROM runs
WHERE definition IS NOT NULL
QUALIFY ROW_NUMBER() OVER (PARTITION BY definition ORDER BY started_at DESC, run_id DESC) = 1
