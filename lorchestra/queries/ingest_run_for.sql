-- The ingest run that last wrote a raw object: the first ingest.completed event of its
-- connection and object type at or after the object's last_seen.
SELECT correlation_id AS run_id, trace_id AS pipeline_run_id, source_system,
       connection_name, created_at AS completed_at
FROM event_log
WHERE event_type = 'ingest.completed'
  AND connection_name = @connection_name
  AND target_object_type = @object_type
  AND created_at >= @last_seen
ORDER BY created_at
LIMIT 1
