-- measurement_timeseries: one row per subject x instrument x scale x occasion.
--
-- Every scale an instrument defines gets its own row (the observations of kind 'scale'):
-- scale_id 'total' for single-scale instruments (PHQ-9, GAD-7, PSS-10), the subscales for the
-- others (FSCRS inadequate_self/hated_self/reassured_self/self_criticism, PHLMS awareness/
-- acceptance, IPIP-NEO-60's five domains, their means and thirty facets). No row holds a total
-- an instrument does not define. band is the scale's band where the instrument defines bands
-- (NULL otherwise). occasion numbers a subject's administrations of an instrument from 1 in time
-- order (ties broken by event_key), the same for every scale of one administration.
-- change_from_previous / change_from_first are differences on the same scale (NULL on the first
-- occasion or when a value is missing). response_key is the questionnaire response the event was
-- scored from, so PHQ-9 and GAD-7 from one form pair up. item9_positive is PHQ-9's item-9 flag
-- (NULL for other instruments). invalid_items lists, comma-separated, the items whose answer
-- could not be read and was scored as missing (NULL when every answer was readable).
WITH events AS (
  SELECT
    event_key,
    source_idem_key AS response_key,
    subject_id,
    instrument_id,
    instrument_version,
    occurred_at,
    n_missing,
    prorated,
    IF(
      instrument_id = 'phq9',
      SAFE_CAST(JSON_VALUE(flags, '$.item9_positive') AS BOOL),
      NULL
    ) AS item9_positive,
    NULLIF(ARRAY_TO_STRING(JSON_VALUE_ARRAY(flags, '$.invalid_items'), ','), '') AS invalid_items,
    ROW_NUMBER() OVER (
      PARTITION BY subject_id, instrument_id ORDER BY occurred_at, event_key
    ) AS occasion
  FROM measurement_events
),
scales AS (
  SELECT
    e.*,
    o.code AS scale_id,
    o.value AS score,
    o.label AS band
  FROM events e
  JOIN observations o ON o.event_key = e.event_key AND o.kind = 'scale'
)
SELECT
  event_key,
  response_key,
  subject_id,
  instrument_id,
  instrument_version,
  scale_id,
  occasion,
  occurred_at,
  score,
  band,
  score - LAG(score) OVER (
    PARTITION BY subject_id, instrument_id, scale_id ORDER BY occasion
  ) AS change_from_previous,
  IF(occasion = 1, NULL, score - FIRST_VALUE(score) OVER (
    PARTITION BY subject_id, instrument_id, scale_id ORDER BY occasion
    ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
  )) AS change_from_first,
  item9_positive,
  invalid_items,
  n_missing,
  prorated
FROM scales
