-- Raw objects a transform rejected, newest first, with the reason (field and rule only).
SELECT source_idem_key, transform_ref, reason, last_seen
FROM canonical_rejections
ORDER BY last_seen DESC
