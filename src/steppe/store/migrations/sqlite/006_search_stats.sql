-- Steppe schema 6: full-text search, the directory, and the operator's analytics.
-- Everything here is kept in step by triggers: the write path itself does not change.

-- ---- message search ------------------------------------------------------------------------------
-- A persistent integer key per message, counting up as messages arrive: the rowid of its entry
-- in messages_fts (the implicit rowid of `messages` may change on VACUUM, so the index cannot
-- point at it). Walking the index by key, newest first, is walking the messages by time.
CREATE TABLE message_keys (
  key INTEGER PRIMARY KEY,
  chat_id INTEGER NOT NULL,
  msg_id INTEGER NOT NULL
);
CREATE UNIQUE INDEX message_keys_msg ON message_keys (chat_id, msg_id);

-- Trigrams of every live message's text: substrings of 3+ characters in any script, any case;
-- `chat` holds '<chat_id>' so one chat's search is answered by the index too. Contentless: the
-- text lives in `messages` only, and a removal passes exactly what was indexed.
CREATE VIRTUAL TABLE messages_fts USING fts5 (text, chat, content = '', tokenize = 'trigram');
-- Every send is its own savepoint, and FTS5 writes a small segment at each: merging them 16 at a
-- time instead of 4 makes indexing about 1.5 times cheaper for slightly more segments to read.
INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 16);

CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
BEGIN
  INSERT INTO message_keys (chat_id, msg_id) VALUES (new.chat_id, new.id)
    ON CONFLICT DO NOTHING;
  INSERT INTO messages_fts (rowid, text, chat)
    SELECT key, new.text, '<' || new.chat_id || '>' FROM message_keys
    WHERE chat_id = new.chat_id AND msg_id = new.id AND new.deleted = 0 AND new.text != '';
END;

-- An edit re-indexes the text; a deletion for everyone (deleted = 1, text = '') removes it.
CREATE TRIGGER messages_search_update AFTER UPDATE OF text, deleted ON messages
WHEN old.text != new.text OR old.deleted != new.deleted
BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, text, chat)
    SELECT 'delete', key, old.text, '<' || old.chat_id || '>' FROM message_keys
    WHERE chat_id = old.chat_id AND msg_id = old.id AND old.deleted = 0 AND old.text != '';
  INSERT INTO message_keys (chat_id, msg_id) SELECT new.chat_id, new.id
    WHERE new.deleted = 0 AND new.text != '' ON CONFLICT DO NOTHING;
  INSERT INTO messages_fts (rowid, text, chat)
    SELECT key, new.text, '<' || new.chat_id || '>' FROM message_keys
    WHERE chat_id = new.chat_id AND msg_id = new.id AND new.deleted = 0 AND new.text != '';
END;

CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, text, chat)
    SELECT 'delete', key, old.text, '<' || old.chat_id || '>' FROM message_keys
    WHERE chat_id = old.chat_id AND msg_id = old.id AND old.deleted = 0 AND old.text != '';
  DELETE FROM message_keys WHERE chat_id = old.chat_id AND msg_id = old.id;
END;

INSERT INTO message_keys (chat_id, msg_id) SELECT chat_id, id FROM messages ORDER BY date, rowid;
INSERT INTO messages_fts (rowid, text, chat)
  SELECT k.key, m.text, '<' || m.chat_id || '>'
  FROM message_keys k JOIN messages m ON m.chat_id = k.chat_id AND m.id = k.msg_id
  WHERE m.deleted = 0 AND m.text != '';

-- ---- the directory: public accounts (those with a username, bots included) by name ------------
CREATE VIRTUAL TABLE directory_fts USING fts5 (name, content = '', tokenize = 'trigram');

CREATE TRIGGER users_directory_insert AFTER INSERT ON users
WHEN new.username IS NOT NULL
BEGIN
  INSERT INTO directory_fts (rowid, name) VALUES (new.id, new.first_name || ' ' || new.last_name);
END;

CREATE TRIGGER users_directory_update AFTER UPDATE OF first_name, last_name, username ON users
BEGIN
  INSERT INTO directory_fts (directory_fts, rowid, name)
    SELECT 'delete', old.id, old.first_name || ' ' || old.last_name WHERE old.username IS NOT NULL;
  INSERT INTO directory_fts (rowid, name)
    SELECT new.id, new.first_name || ' ' || new.last_name WHERE new.username IS NOT NULL;
END;

INSERT INTO directory_fts (rowid, name)
  SELECT id, first_name || ' ' || last_name FROM users WHERE username IS NOT NULL;

-- ---- analytics: pre-aggregated counts; no statistics query reads anything else ----------------
-- Per UTC day (days since 1970-01-01) and country: active users and sign-ups.
CREATE TABLE stats_daily (
  day INTEGER NOT NULL,
  country TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 0,
  signups INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, country)
);

-- Per month (yyyymm) and country: distinct active users.
CREATE TABLE stats_monthly (
  month INTEGER NOT NULL,
  country TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (month, country)
);

-- Per UTC day and chat kind: messages sent (service messages not counted).
CREATE TABLE stats_messages (
  day INTEGER NOT NULL,
  kind TEXT NOT NULL,
  count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, kind)
);

-- One row per user: the last day counted and a bitmask of the 63 days up to it
-- (see domain/stats.py mark_day), so each day and each month counts a user once.
CREATE TABLE user_activity (
  user_id INTEGER PRIMARY KEY,
  last_day INTEGER NOT NULL,
  days INTEGER NOT NULL
);

-- New messages waiting to be counted: appended here by a trigger, drained in batches.
CREATE TABLE stats_message_queue (
  day INTEGER NOT NULL,
  kind TEXT NOT NULL
);

CREATE TRIGGER messages_stats_insert AFTER INSERT ON messages
WHEN new.action IS NULL
BEGIN
  INSERT INTO stats_message_queue (day, kind)
    SELECT new.date / 86400, kind FROM chats WHERE id = new.chat_id;
END;

CREATE TRIGGER users_stats_signup AFTER INSERT ON users
WHEN new.is_bot = 0 AND new.country != ''
BEGIN
  INSERT INTO stats_daily (day, country, signups) VALUES (new.created / 86400, new.country, 1)
    ON CONFLICT (day, country) DO UPDATE SET signups = signups + 1;
END;

INSERT INTO stats_daily (day, country, signups)
  SELECT created / 86400, country, count(*) FROM users WHERE is_bot = 0 AND country != ''
  GROUP BY created / 86400, country;

-- Per supergroup or channel and UTC day: members who joined and who left (or were banned),
-- from the admin log those chats keep; subscribers over time are walked back from today's count.
CREATE TABLE stats_channel_daily (
  chat_id INTEGER NOT NULL,
  day INTEGER NOT NULL,
  joins INTEGER NOT NULL DEFAULT 0,
  leaves INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (chat_id, day)
);

CREATE TRIGGER admin_log_stats AFTER INSERT ON admin_log
WHEN new.action IN ('join', 'leave')
BEGIN
  INSERT INTO stats_channel_daily (chat_id, day, joins, leaves)
    VALUES (new.chat_id, new.date / 86400, new.action = 'join', new.action = 'leave')
    ON CONFLICT (chat_id, day) DO UPDATE
    SET joins = joins + excluded.joins, leaves = leaves + excluded.leaves;
END;

-- The operator role (`steppe admin operator grant|revoke`).
CREATE TABLE operators (
  user_id INTEGER PRIMARY KEY REFERENCES users (id),
  granted INTEGER NOT NULL
);
