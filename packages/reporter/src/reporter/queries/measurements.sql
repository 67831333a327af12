-- One subject's measurement history, one row per scale, with bands and changes (needs the reporter's projections).
SELECT * FROM measurement_timeseries WHERE subject_id = @subject
ORDER BY instrument_id, scale_id, occurred_at
