-- The last delivered alert per job (kind failed, overdue or recovered): an incident is open
-- while the last one is failed or overdue.
SELECT JSON_VALUE(payload, '$.job') AS job, JSON_VALUE(payload, '$.kind') AS kind,
       created_at, correlation_id AS run_id
FROM event_log
WHERE event_type = 'alert.sent' AND status = 'ok'
  AND JSON_VALUE(payload, '$.kind') IN ('failed', 'overdue', 'recovered')
QUALIFY ROW_NUMBER() OVER (PARTITION BY JSON_VALUE(payload, '$.job')
                           ORDER BY created_at DESC) = 1
