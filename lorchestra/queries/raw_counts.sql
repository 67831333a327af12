-- Raw objects per source system, connection and object type.
SELECT source_system, connection_name, object_type, COUNT(*) AS objects,
       MAX(last_seen) AS last_seen
FROM raw_objects
GROUP BY source_system, connection_name, object_type
ORDER BY source_system, connection_name, object_type
