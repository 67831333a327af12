-- name: measurement_subject_is_contact
-- severity: warning
-- Measurement events whose subject is no known contact: the subject is the respondent's
-- external id or lower-cased email, matched against canonical contacts' contact_id and email.
WITH known AS (
  SELECT JSON_VALUE(payload, '$.contact_id') AS subject
  FROM canonical_objects WHERE canonical_kind = 'contact'
  UNION DISTINCT
  SELECT LOWER(TRIM(JSON_VALUE(payload, '$.email'))) AS subject
  FROM canonical_objects WHERE canonical_kind = 'contact'
)
SELECT COUNT(*) AS violations
FROM measurement_events AS m
LEFT JOIN known AS k ON m.subject_id = k.subject
WHERE k.subject IS NULL
