-- measurement_timeseries: one row per subject x instrument x occasion (measurement_events).
--
-- occasion numbers a subject's administrations of an instrument from 1 in time order (ties
-- broken by event_key). change_from_previous / change_from_first are score differences (NULL
-- on the first occasion / when a score is missing). item9_positive is PHQ-9's item-9 flag
-- (NULL for other instruments).
WITH events AS (
  SELECT
    event_key,
    subject_id,
    instrument_id,
    instrument_version,
    occurred_at,
    score,
    band,
    n_missing,
    prorated,
    IF(
      instrument_id = 'phq9',
      SAFE_CAST(JSON_VALUE(flags, '$.item9_positive') AS BOOL),
      NULL
    ) AS item9_positive,
    ROW_NUMBER() OVER (
      PARTITION BY subject_id, instrument_id ORDER BY occurred_at, event_key
    ) AS occasion
  FROM measurement_events
)
SELECT
  event_key,
  subject_id,
  instrument_id,
  instrument_version,
  occasion,
  occurred_at,
  score,
  band,
  score - LAG(score) OVER (
    PARTITION BY subject_id, instrument_id ORDER BY occasion
  ) AS change_from_previous,
  IF(occasion = 1, NULL, score - FIRST_VALUE(score) OVER (
    PARTITION BY subject_id, instrument_id ORDER BY occasion
    ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
  )) AS change_from_first,
  item9_positive,
  n_missing,
  prorated
FROM events
