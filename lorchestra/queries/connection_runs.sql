-- The last ingest of each connection and object type: when, how it ended, and what it read.
SELECT connection_name, target_object_type AS object_type, event_type, status, created_at,
       error_message, payload
FROM event_log
WHERE event_type IN ('ingest.completed', 'ingest.failed')
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY connection_name, target_object_type ORDER BY created_at DESC
) = 1
ORDER BY connection_name, object_type
