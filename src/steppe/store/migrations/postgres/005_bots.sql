-- Bots (issue 7): bot accounts, their update queues, command menus, chat rules, BotFather's dialogs.
CREATE TABLE bots (
  user_id BIGINT PRIMARY KEY REFERENCES users (id),
  owner_id BIGINT NOT NULL,
  token_hash TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  privacy INTEGER NOT NULL DEFAULT 1,
  inline_placeholder TEXT NOT NULL DEFAULT '',
  allowed_updates TEXT,
  webhook_url TEXT NOT NULL DEFAULT '',
  webhook_secret TEXT NOT NULL DEFAULT '',
  webhook_max_connections INTEGER NOT NULL DEFAULT 40,
  webhook_error_date BIGINT NOT NULL DEFAULT 0,
  webhook_error TEXT NOT NULL DEFAULT '',
  next_update_id BIGINT NOT NULL DEFAULT 1,
  user_seq BIGINT NOT NULL DEFAULT 0,
  created BIGINT NOT NULL
);
CREATE INDEX bots_owner ON bots (owner_id);

CREATE TABLE bot_commands (
  bot_id BIGINT NOT NULL,
  scope TEXT NOT NULL,
  lang TEXT NOT NULL,
  commands TEXT NOT NULL,
  PRIMARY KEY (bot_id, scope, lang)
);

CREATE TABLE bot_cursors (
  bot_id BIGINT NOT NULL,
  chat_id BIGINT NOT NULL,
  pts BIGINT NOT NULL,
  PRIMARY KEY (bot_id, chat_id)
);
CREATE INDEX bot_cursors_chat ON bot_cursors (chat_id);

CREATE TABLE bot_updates (
  bot_id BIGINT NOT NULL,
  update_id BIGINT NOT NULL,
  kind TEXT NOT NULL,
  chat_id BIGINT NOT NULL DEFAULT 0,
  payload TEXT NOT NULL,
  expires BIGINT NOT NULL,
  PRIMARY KEY (bot_id, update_id)
);
CREATE INDEX bot_updates_expires ON bot_updates (expires);

CREATE TABLE chat_rules (
  chat_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  kind TEXT NOT NULL,
  until BIGINT NOT NULL DEFAULT 0,
  permissions TEXT,
  PRIMARY KEY (chat_id, user_id)
);

CREATE TABLE botfather_states (
  user_id BIGINT PRIMARY KEY,
  state TEXT NOT NULL,
  data TEXT NOT NULL DEFAULT ''
);
