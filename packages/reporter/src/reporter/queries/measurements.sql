-- One subject's measurement history with bands and changes (needs the reporter's projections).
SELECT * FROM measurement_timeseries WHERE subject_id = @subject
ORDER BY instrument_id, occurred_at
