-- Every event of one run (or of every job in a pipeline run), in order.
SELECT created_at, event_type, status, correlation_id AS run_id, source_system,
       connection_name, target_object_type, error_message, TO_JSON_STRING(payload) AS data
FROM event_log
WHERE correlation_id = @run OR trace_id = @run
ORDER BY created_at
