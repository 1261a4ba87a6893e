-- Steppe schema 1: accounts, chats, messages, the update logs.
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  phone TEXT UNIQUE,
  country TEXT NOT NULL DEFAULT '',
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL DEFAULT '',
  username TEXT,
  username_lc TEXT UNIQUE,
  bio TEXT NOT NULL DEFAULT '',
  is_bot INTEGER NOT NULL DEFAULT 0,
  password_hash TEXT,
  password_hint TEXT NOT NULL DEFAULT '',
  seq INTEGER NOT NULL DEFAULT 0,
  last_seen INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL
);

CREATE TABLE login_codes (
  hash_id TEXT PRIMARY KEY,
  phone TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  expires INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'sent'
);
CREATE INDEX login_codes_phone ON login_codes (phone);

CREATE TABLE authorizations (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id),
  token_hash TEXT NOT NULL UNIQUE,
  device TEXT NOT NULL DEFAULT '',
  app TEXT NOT NULL DEFAULT '',
  ip TEXT NOT NULL DEFAULT '',
  created INTEGER NOT NULL,
  last_active INTEGER NOT NULL
);
CREATE INDEX authorizations_user ON authorizations (user_id);

CREATE TABLE contacts (
  owner_id INTEGER NOT NULL REFERENCES users (id),
  user_id INTEGER NOT NULL REFERENCES users (id),
  first_name TEXT NOT NULL DEFAULT '',
  last_name TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (owner_id, user_id)
);

CREATE TABLE chats (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  creator_id INTEGER NOT NULL,
  user_a INTEGER,
  user_b INTEGER,
  pts INTEGER NOT NULL DEFAULT 0,
  top_msg_id INTEGER NOT NULL DEFAULT 0,
  last_date INTEGER NOT NULL,
  member_count INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL
);
CREATE UNIQUE INDEX chats_private ON chats (user_a, user_b);

CREATE TABLE members (
  chat_id INTEGER NOT NULL REFERENCES chats (id),
  user_id INTEGER NOT NULL REFERENCES users (id),
  role TEXT NOT NULL DEFAULT 'member',
  inviter_id INTEGER NOT NULL,
  joined INTEGER NOT NULL,
  read_inbox_max_id INTEGER NOT NULL DEFAULT 0,
  pinned INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX members_user ON members (user_id, chat_id);

CREATE TABLE messages (
  chat_id INTEGER NOT NULL,
  id INTEGER NOT NULL,
  sender_id INTEGER NOT NULL,
  date INTEGER NOT NULL,
  text TEXT NOT NULL DEFAULT '',
  entities TEXT,
  reply_to INTEGER,
  fwd TEXT,
  action TEXT,
  edit_date INTEGER,
  pinned INTEGER NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0,
  random_id INTEGER,
  PRIMARY KEY (chat_id, id)
);
CREATE UNIQUE INDEX messages_random ON messages (sender_id, random_id);

CREATE TABLE hidden_messages (
  user_id INTEGER NOT NULL,
  chat_id INTEGER NOT NULL,
  msg_id INTEGER NOT NULL,
  PRIMARY KEY (user_id, chat_id, msg_id)
);

CREATE TABLE chat_events (
  chat_id INTEGER NOT NULL,
  pts INTEGER NOT NULL,
  payload TEXT NOT NULL,
  PRIMARY KEY (chat_id, pts)
);

CREATE TABLE user_events (
  user_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  payload TEXT NOT NULL,
  PRIMARY KEY (user_id, seq)
);
