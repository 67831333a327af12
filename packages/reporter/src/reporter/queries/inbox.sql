-- Email threads awaiting a reply, oldest first (needs the reporter's projections).
SELECT * FROM inbox_view WHERE awaiting_reply ORDER BY last_message_at
