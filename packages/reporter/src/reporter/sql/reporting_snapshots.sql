-- reporting_snapshots: one row per subject and ISO week with any activity.
--
-- subject_id is the client's email lower-cased (measurement_events.subject_id; contacts and
-- Stripe customers are joined to it by email). week_start is the Monday of the ISO week, in UTC,
-- computed by day arithmetic from Monday 1970-01-05 (DATE_TRUNC(.., WEEK(MONDAY)) and ISOWEEK
-- misbehave on the BigQuery emulator); iso_year/iso_week follow from that week's Thursday.
-- sessions_held counts active clinical sessions dated in the week; phq9/gad7 scores are the
-- latest of that week (NULL when none); invoices exclude draft and void ones; payments count
-- succeeded ones; amounts are in minor units (cents) of the invoice/payment currency;
-- messages count distinct emails (by Message-ID) that the client sent or received, from the
-- canonizer's email_messages (its correspondents: from, to and cc).
WITH contacts AS (
  SELECT
    JSON_VALUE(payload, '$.contact_id') AS contact_id,
    LOWER(TRIM(JSON_VALUE(payload, '$.email'))) AS email
  FROM canonical_objects
  WHERE canonical_kind = 'contact'
),
customers AS (
  SELECT
    JSON_VALUE(cu.payload, '$.customer_id') AS customer_id,
    COALESCE(co.email, LOWER(TRIM(JSON_VALUE(cu.payload, '$.email')))) AS subject_id
  FROM canonical_objects cu
  LEFT JOIN contacts co
    ON co.contact_id = JSON_VALUE(cu.payload, '$.metadata.dataverse_contact_id')
  WHERE cu.canonical_kind = 'customer'
),
dated AS (
  -- Every dated fact, with the UTC calendar day it falls on.
  SELECT
    co.email AS subject_id,
    'session' AS fact,
    DATE(SAFE_CAST(JSON_VALUE(s.payload, '$.session_date') AS TIMESTAMP)) AS day,
    JSON_VALUE(s.payload, '$.session_id') AS fact_key,
    SAFE_CAST(JSON_VALUE(s.payload, '$.session_date') AS TIMESTAMP) AS at,
    JSON_VALUE(s.payload, '$.status') AS status,
    CAST(NULL AS STRING) AS instrument_id,
    CAST(NULL AS FLOAT64) AS score,
    CAST(NULL AS STRING) AS band,
    CAST(NULL AS INT64) AS amount
  FROM canonical_objects s
  JOIN contacts co ON co.contact_id = JSON_VALUE(s.payload, '$.contact_id')
  WHERE s.canonical_kind = 'clinical_session'
  UNION ALL
  SELECT
    subject_id, 'measurement', DATE(occurred_at), event_key, occurred_at, NULL,
    instrument_id, score, band, NULL
  FROM measurement_events
  UNION ALL
  SELECT
    cu.subject_id,
    'invoice',
    DATE(SAFE_CAST(JSON_VALUE(i.payload, '$.created_at') AS TIMESTAMP)),
    JSON_VALUE(i.payload, '$.invoice_id'),
    SAFE_CAST(JSON_VALUE(i.payload, '$.created_at') AS TIMESTAMP),
    JSON_VALUE(i.payload, '$.status'),
    NULL, NULL, NULL,
    SAFE_CAST(JSON_VALUE(i.payload, '$.amount_due') AS INT64)
  FROM canonical_objects i
  JOIN customers cu ON cu.customer_id = JSON_VALUE(i.payload, '$.customer_id')
  WHERE i.canonical_kind = 'invoice'
  UNION ALL
  SELECT
    cu.subject_id,
    'payment',
    DATE(SAFE_CAST(JSON_VALUE(p.payload, '$.created_at') AS TIMESTAMP)),
    JSON_VALUE(p.payload, '$.payment_id'),
    SAFE_CAST(JSON_VALUE(p.payload, '$.created_at') AS TIMESTAMP),
    JSON_VALUE(p.payload, '$.status'),
    NULL, NULL, NULL,
    SAFE_CAST(COALESCE(
      JSON_VALUE(p.payload, '$.amount_received'), JSON_VALUE(p.payload, '$.amount')
    ) AS INT64)
  FROM canonical_objects p
  JOIN customers cu ON cu.customer_id = JSON_VALUE(p.payload, '$.customer_id')
  WHERE p.canonical_kind = 'payment'
  UNION ALL
  SELECT
    address,
    'message',
    DATE(m.message_at),
    m.message_key,
    NULL, NULL, NULL, NULL, NULL, NULL
  FROM email_messages m
  CROSS JOIN UNNEST(JSON_VALUE_ARRAY(m.correspondents, '$')) AS address
),
weekly AS (
  SELECT
    *,
    CAST(DATE_ADD(
      DATE '1970-01-05', INTERVAL DIV(DATE_DIFF(day, DATE '1970-01-05', DAY), 7) * 7 DAY
    ) AS DATE) AS week_start
  FROM dated
  WHERE subject_id IS NOT NULL AND day IS NOT NULL
    AND subject_id IN (
      SELECT email FROM contacts WHERE email IS NOT NULL
      UNION DISTINCT
      SELECT subject_id FROM measurement_events
      UNION DISTINCT
      SELECT subject_id FROM customers WHERE subject_id IS NOT NULL
    )
),
latest_scores AS (
  SELECT subject_id, week_start, instrument_id, score, band
  FROM weekly
  WHERE fact = 'measurement' AND instrument_id IN ('phq9', 'gad7')
  QUALIFY ROW_NUMBER() OVER (
    PARTITION BY subject_id, week_start, instrument_id ORDER BY at DESC, fact_key DESC
  ) = 1
),
totals AS (
  SELECT
    subject_id,
    week_start,
    COUNT(DISTINCT IF(fact = 'session' AND status = 'active', fact_key, NULL)) AS sessions_held,
    COUNT(DISTINCT IF(fact = 'measurement', fact_key, NULL)) AS measurements,
    COUNT(DISTINCT IF(fact = 'invoice' AND status NOT IN ('draft', 'void'), fact_key, NULL))
      AS invoices,
    SUM(IF(fact = 'invoice' AND status NOT IN ('draft', 'void'), amount, 0)) AS invoiced_minor,
    COUNT(DISTINCT IF(fact = 'payment' AND status = 'succeeded', fact_key, NULL)) AS payments,
    SUM(IF(fact = 'payment' AND status = 'succeeded', amount, 0)) AS paid_minor,
    COUNT(DISTINCT IF(fact = 'message', fact_key, NULL)) AS messages
  FROM weekly
  GROUP BY subject_id, week_start
)
SELECT
  t.subject_id,
  (SELECT MIN(c.contact_id) FROM contacts c WHERE c.email = t.subject_id) AS contact_id,
  t.week_start,
  EXTRACT(YEAR FROM DATE_ADD(t.week_start, INTERVAL 3 DAY)) AS iso_year,
  DIV((EXTRACT(DAYOFYEAR FROM DATE_ADD(t.week_start, INTERVAL 3 DAY)) - 1), 7) + 1 AS iso_week,
  t.sessions_held,
  t.measurements,
  phq9.score AS phq9_score,
  phq9.band AS phq9_band,
  gad7.score AS gad7_score,
  gad7.band AS gad7_band,
  t.invoices,
  t.invoiced_minor,
  t.payments,
  t.paid_minor,
  t.messages
FROM totals t
LEFT JOIN latest_scores phq9
  ON phq9.subject_id = t.subject_id AND phq9.week_start = t.week_start
  AND phq9.instrument_id = 'phq9'
LEFT JOIN latest_scores gad7
  ON gad7.subject_id = t.subject_id AND gad7.week_start = t.week_start
  AND gad7.instrument_id = 'gad7'
