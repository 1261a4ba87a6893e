-- Steppe schema 6 on PostgreSQL: search through pg_trgm, and the operator's analytics.
-- The same tables as sqlite/006_search_stats.sql; message search needs no extra table here: a
-- trigram GIN index on the live messages' text answers `text ILIKE '%term%'` for terms of 3+
-- characters. pg_trgm ships with PostgreSQL (contrib); creating it needs the CREATE privilege on
-- the database (or a superuser to run `CREATE EXTENSION pg_trgm` once beforehand).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX messages_text_trgm ON messages USING gin (text gin_trgm_ops) WHERE deleted = 0;
CREATE INDEX users_name_trgm ON users USING gin ((first_name || ' ' || last_name) gin_trgm_ops)
  WHERE username IS NOT NULL;

CREATE TABLE stats_daily (
  day BIGINT NOT NULL,
  country TEXT NOT NULL,
  active BIGINT NOT NULL DEFAULT 0,
  signups BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (day, country)
);

CREATE TABLE stats_monthly (
  month INTEGER NOT NULL,
  country TEXT NOT NULL,
  active BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (month, country)
);

CREATE TABLE stats_messages (
  day BIGINT NOT NULL,
  kind TEXT NOT NULL,
  count BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (day, kind)
);

CREATE TABLE user_activity (
  user_id BIGINT PRIMARY KEY,
  last_day BIGINT NOT NULL,
  days BIGINT NOT NULL
);

CREATE TABLE stats_message_queue (
  day BIGINT NOT NULL,
  kind TEXT NOT NULL
);

CREATE FUNCTION steppe_stats_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.action IS NULL THEN
    INSERT INTO stats_message_queue (day, kind)
      SELECT NEW.date / 86400, kind FROM chats WHERE id = NEW.chat_id;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER messages_stats_insert AFTER INSERT ON messages
  FOR EACH ROW EXECUTE FUNCTION steppe_stats_message();

CREATE FUNCTION steppe_stats_signup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.is_bot = 0 AND NEW.country != '' THEN
    INSERT INTO stats_daily (day, country, signups) VALUES (NEW.created / 86400, NEW.country, 1)
      ON CONFLICT (day, country) DO UPDATE SET signups = stats_daily.signups + 1;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER users_stats_signup AFTER INSERT ON users
  FOR EACH ROW EXECUTE FUNCTION steppe_stats_signup();

INSERT INTO stats_daily (day, country, signups)
  SELECT created / 86400, country, count(*) FROM users WHERE is_bot = 0 AND country != ''
  GROUP BY created / 86400, country;

CREATE TABLE stats_channel_daily (
  chat_id BIGINT NOT NULL,
  day BIGINT NOT NULL,
  joins BIGINT NOT NULL DEFAULT 0,
  leaves BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (chat_id, day)
);

CREATE FUNCTION steppe_stats_channel() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.action IN ('join', 'leave') THEN
    INSERT INTO stats_channel_daily (chat_id, day, joins, leaves)
      VALUES (NEW.chat_id, NEW.date / 86400, CASE WHEN NEW.action = 'join' THEN 1 ELSE 0 END,
              CASE WHEN NEW.action = 'leave' THEN 1 ELSE 0 END)
      ON CONFLICT (chat_id, day) DO UPDATE
      SET joins = stats_channel_daily.joins + excluded.joins,
          leaves = stats_channel_daily.leaves + excluded.leaves;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER admin_log_stats AFTER INSERT ON admin_log
  FOR EACH ROW EXECUTE FUNCTION steppe_stats_channel();

CREATE TABLE operators (
  user_id BIGINT PRIMARY KEY REFERENCES users (id),
  granted BIGINT NOT NULL
);
