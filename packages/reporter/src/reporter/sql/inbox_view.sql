-- inbox_view: one row per email thread (canonical email_jmap_lite threadId).
--
-- It reads email_messages (the canonizer's columns of each canonical email: addresses trimmed
-- and lower-cased, message_at = receivedAt or sentAt, message_key = Message-ID or id), never
-- the JSON payloads.
-- A message seen in several mailboxes (same RFC Message-ID) counts once. Practice addresses
-- (the mailbox owners) are the union of three sets, all lower-cased:
--   1. the sender of every message labelled SENT (Gmail puts it on the owner's own mail);
--   2. per mailbox (the connection in source_idem_key), the one address that is on every
--      message of it (from/to/cc/bcc), when the mailbox holds at least two threads and exactly
--      one address qualifies (Exchange/Graph has no SENT label);
--   3. the addresses configured when the view is created ({{PRACTICE_ADDRESSES}}).
-- last_from_name is the display name on the last message (NULL when it carries none).
-- A reply is awaited when the last message's sender is not a practice address.
WITH messages AS (
  SELECT
    e.idem_key,
    SPLIT(e.source_idem_key, ':')[OFFSET(1)] AS mailbox,
    e.thread_id,
    e.message_key,
    e.subject,
    e.from_address,
    e.from_name,
    e.message_at,
    e.sent,
    e.correspondents,
    e.bcc
  FROM email_messages e
),
addresses AS (
  SELECT m.idem_key, m.mailbox, m.thread_id, address
  FROM messages m
  CROSS JOIN UNNEST(ARRAY_CONCAT(
    JSON_VALUE_ARRAY(m.correspondents, '$'), JSON_VALUE_ARRAY(m.bcc, '$')
  )) AS address
),
mailbox_sizes AS (
  SELECT mailbox, COUNT(*) AS n_messages, COUNT(DISTINCT thread_id) AS n_threads
  FROM messages
  GROUP BY mailbox
),
on_every_message AS (
  SELECT a.mailbox, a.address
  FROM addresses a
  JOIN mailbox_sizes s ON s.mailbox = a.mailbox
  WHERE a.address IS NOT NULL AND s.n_threads >= 2
  GROUP BY a.mailbox, a.address, s.n_messages
  HAVING COUNT(DISTINCT a.idem_key) = s.n_messages
),
practice AS (
  SELECT DISTINCT from_address AS address
  FROM messages m
  WHERE m.sent AND from_address IS NOT NULL
  UNION DISTINCT
  SELECT MIN(address) AS address
  FROM on_every_message
  GROUP BY mailbox
  HAVING COUNT(*) = 1
  UNION DISTINCT
  SELECT LOWER(TRIM(address)) AS address
  FROM UNNEST(ARRAY<STRING>[{{PRACTICE_ADDRESSES}}]) AS address
),
unique_messages AS (
  SELECT *
  FROM messages
  WHERE thread_id IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (PARTITION BY thread_id, message_key ORDER BY idem_key) = 1
),
ordered AS (
  SELECT
    thread_id,
    subject,
    from_address,
    from_name,
    message_at,
    ROW_NUMBER() OVER (
      PARTITION BY thread_id ORDER BY message_at, message_key, idem_key
    ) AS first_rank,
    ROW_NUMBER() OVER (
      PARTITION BY thread_id ORDER BY message_at DESC, message_key DESC, idem_key DESC
    ) AS last_rank
  FROM unique_messages
),
threads AS (
  SELECT
    thread_id,
    MAX(IF(first_rank = 1, subject, NULL)) AS subject,
    MIN(message_at) AS first_message_at,
    MAX(message_at) AS last_message_at,
    COUNT(*) AS message_count,
    MAX(IF(last_rank = 1, from_address, NULL)) AS last_from,
    MAX(IF(last_rank = 1, from_name, NULL)) AS last_from_name
  FROM ordered
  GROUP BY thread_id
),
participants AS (
  SELECT thread_id, STRING_AGG(DISTINCT address, ', ' ORDER BY address) AS participants
  FROM addresses
  WHERE address IS NOT NULL AND thread_id IS NOT NULL
  GROUP BY thread_id
),
contacts AS (
  SELECT
    JSON_VALUE(payload, '$.contact_id') AS contact_id,
    LOWER(TRIM(JSON_VALUE(payload, '$.email'))) AS email
  FROM canonical_objects
  WHERE canonical_kind = 'contact'
),
thread_contacts AS (
  SELECT a.thread_id, MIN(c.contact_id) AS contact_id
  FROM addresses a
  JOIN contacts c ON c.email = a.address
  WHERE a.address NOT IN (SELECT address FROM practice WHERE address IS NOT NULL)
  GROUP BY a.thread_id
)
SELECT
  t.thread_id,
  t.subject,
  p.participants,
  t.first_message_at,
  t.last_message_at,
  t.message_count,
  t.last_from,
  t.last_from_name,
  t.last_from IS NOT NULL
    AND t.last_from NOT IN (SELECT address FROM practice WHERE address IS NOT NULL)
    AS awaiting_reply,
  DIV(TIMESTAMP_DIFF(CURRENT_TIMESTAMP(), t.last_message_at, SECOND), 3600)
    AS hours_since_last_message,
  tc.contact_id
FROM threads t
LEFT JOIN participants p ON p.thread_id = t.thread_id
LEFT JOIN thread_contacts tc ON tc.thread_id = t.thread_id
