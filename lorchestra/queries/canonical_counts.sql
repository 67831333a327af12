-- Canonical objects per schema and transform.
SELECT canonical_schema, transform_ref, COUNT(*) AS objects,
       MAX(canonicalized_at) AS last_changed
FROM canonical_objects
GROUP BY canonical_schema, transform_ref
ORDER BY canonical_schema, transform_ref
