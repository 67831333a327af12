-- inbox_view: one row per email thread (canonical email_jmap_lite threadId).
--
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
    c.idem_key,
    SPLIT(c.source_idem_key, ':')[OFFSET(1)] AS mailbox,
    JSON_VALUE(c.payload, '$.threadId') AS thread_id,
    COALESCE(JSON_VALUE(c.payload, '$.messageId[0]'), JSON_VALUE(c.payload, '$.id')) AS message_key,
    JSON_VALUE(c.payload, '$.subject') AS subject,
    LOWER(TRIM(JSON_VALUE(c.payload, '$.from[0].email'))) AS from_address,
    JSON_VALUE(c.payload, '$.from[0].name') AS from_name,
    COALESCE(
      SAFE_CAST(JSON_VALUE(c.payload, '$.receivedAt') AS TIMESTAMP),
      SAFE_CAST(JSON_VALUE(c.payload, '$.sentAt') AS TIMESTAMP)
    ) AS message_at,
    c.payload
  FROM canonical_objects c
  WHERE c.canonical_kind = 'email_jmap_lite'
),
addresses AS (
  SELECT m.idem_key, m.mailbox, m.thread_id, LOWER(TRIM(JSON_VALUE(a, '$.email'))) AS address
  FROM messages m
  CROSS JOIN UNNEST(ARRAY_CONCAT(
    JSON_QUERY_ARRAY(m.payload, '$.from'), JSON_QUERY_ARRAY(m.payload, '$.to'),
    JSON_QUERY_ARRAY(m.payload, '$.cc'), JSON_QUERY_ARRAY(m.payload, '$.bcc')
  )) AS a
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
  CROSS JOIN UNNEST(JSON_VALUE_ARRAY(m.payload, '$.labels')) AS label
  WHERE label = 'SENT' AND from_address IS NOT NULL
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
