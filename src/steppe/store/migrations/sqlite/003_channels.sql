-- Supergroups and channels (issue 5): settings, rights, invite links, join requests, forum topics,
-- reply threads and comments, reactions, polls, scheduled messages, the admin log.
-- A channel post writes only its message, its event and the chat row: nothing per subscriber.

-- Settings of a supergroup or channel (and the reactions of any chat).
CREATE TABLE chat_settings (
  chat_id INTEGER PRIMARY KEY REFERENCES chats (id),
  about TEXT NOT NULL DEFAULT '',
  username TEXT,
  username_lc TEXT UNIQUE,
  signatures INTEGER NOT NULL DEFAULT 0,
  slowmode INTEGER NOT NULL DEFAULT 0,
  forum INTEGER NOT NULL DEFAULT 0,
  linked_chat_id INTEGER,
  default_banned INTEGER NOT NULL DEFAULT 0,
  reactions TEXT,
  reactions_limit INTEGER NOT NULL DEFAULT 1,
  migrated_from INTEGER,
  migrated_from_max_id INTEGER,
  migrated_to INTEGER
);

-- A user and a chat's username share one namespace.
CREATE TRIGGER users_username_free_insert BEFORE INSERT ON users
WHEN NEW.username_lc IS NOT NULL
  AND EXISTS (SELECT 1 FROM chat_settings WHERE username_lc = NEW.username_lc)
BEGIN
  SELECT RAISE(ABORT, 'UNIQUE constraint failed: users.username_lc');
END;
CREATE TRIGGER users_username_free_update BEFORE UPDATE OF username_lc ON users
WHEN NEW.username_lc IS NOT NULL
  AND EXISTS (SELECT 1 FROM chat_settings WHERE username_lc = NEW.username_lc)
BEGIN
  SELECT RAISE(ABORT, 'UNIQUE constraint failed: users.username_lc');
END;

-- Admin rights, restrictions and bans beyond `members` (a ban outlives the membership).
CREATE TABLE chat_participants (
  chat_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  admin_rights INTEGER NOT NULL DEFAULT 0,
  rank TEXT NOT NULL DEFAULT '',
  promoted_by INTEGER NOT NULL DEFAULT 0,
  banned_rights INTEGER NOT NULL DEFAULT 0,
  until_date INTEGER NOT NULL DEFAULT 0,
  kicked_by INTEGER NOT NULL DEFAULT 0,
  date INTEGER NOT NULL,
  PRIMARY KEY (chat_id, user_id)
);

CREATE INDEX members_joined ON members (chat_id, joined);
CREATE INDEX members_read ON members (chat_id, read_inbox_max_id);
CREATE INDEX messages_sender ON messages (chat_id, sender_id, id);
CREATE INDEX messages_pinned ON messages (chat_id, id) WHERE pinned != 0;

CREATE TABLE invite_links (
  link TEXT PRIMARY KEY,
  chat_id INTEGER NOT NULL,
  admin_id INTEGER NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  date INTEGER NOT NULL,
  expire_date INTEGER NOT NULL DEFAULT 0,
  usage_limit INTEGER NOT NULL DEFAULT 0,
  usage INTEGER NOT NULL DEFAULT 0,
  requested INTEGER NOT NULL DEFAULT 0,
  request_needed INTEGER NOT NULL DEFAULT 0,
  revoked INTEGER NOT NULL DEFAULT 0,
  permanent INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX invite_links_chat ON invite_links (chat_id, admin_id, date);

CREATE TABLE invite_importers (
  link TEXT NOT NULL,
  user_id INTEGER NOT NULL,
  date INTEGER NOT NULL,
  PRIMARY KEY (link, user_id)
);

CREATE TABLE join_requests (
  chat_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  link TEXT,
  about TEXT NOT NULL DEFAULT '',
  date INTEGER NOT NULL,
  PRIMARY KEY (chat_id, user_id)
);

CREATE TABLE forum_topics (
  chat_id INTEGER NOT NULL,
  id INTEGER NOT NULL,
  title TEXT NOT NULL,
  icon_color INTEGER NOT NULL DEFAULT 0,
  creator_id INTEGER NOT NULL,
  date INTEGER NOT NULL,
  closed INTEGER NOT NULL DEFAULT 0,
  pinned INTEGER NOT NULL DEFAULT 0,
  hidden INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (chat_id, id)
);

-- Messages of a reply thread (comments under a post's copy, a forum topic).
CREATE TABLE message_threads (
  chat_id INTEGER NOT NULL,
  thread_id INTEGER NOT NULL,
  msg_id INTEGER NOT NULL,
  PRIMARY KEY (chat_id, thread_id, msg_id)
);

-- A channel post and its copy in the linked discussion group.
CREATE TABLE discussions (
  channel_id INTEGER NOT NULL,
  post_id INTEGER NOT NULL,
  group_id INTEGER NOT NULL,
  group_msg_id INTEGER NOT NULL,
  PRIMARY KEY (channel_id, post_id)
);
CREATE UNIQUE INDEX discussions_group ON discussions (group_id, group_msg_id);

CREATE TABLE message_reactions (
  chat_id INTEGER NOT NULL,
  msg_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  reaction TEXT NOT NULL,
  date INTEGER NOT NULL,
  PRIMARY KEY (chat_id, msg_id, user_id, reaction)
);
CREATE INDEX message_reactions_recent ON message_reactions (chat_id, msg_id, date);

-- A poll as its creator made it (with the quiz answer); the messages show it without.
CREATE TABLE polls (
  id TEXT PRIMARY KEY,
  creator_id INTEGER NOT NULL,
  poll TEXT NOT NULL,
  date INTEGER NOT NULL
);
CREATE TABLE poll_messages (
  poll_id TEXT NOT NULL,
  chat_id INTEGER NOT NULL,
  msg_id INTEGER NOT NULL,
  PRIMARY KEY (poll_id, chat_id, msg_id)
);
CREATE TABLE poll_votes (
  poll_id TEXT NOT NULL,
  user_id INTEGER NOT NULL,
  options TEXT NOT NULL,
  date INTEGER NOT NULL,
  PRIMARY KEY (poll_id, user_id)
);

CREATE TABLE scheduled_messages (
  id INTEGER PRIMARY KEY,
  chat_id INTEGER NOT NULL,
  sender_id INTEGER NOT NULL,
  schedule_date INTEGER NOT NULL,
  payload TEXT NOT NULL,
  random_id INTEGER,
  created INTEGER NOT NULL
);
CREATE INDEX scheduled_due ON scheduled_messages (schedule_date, id);
CREATE INDEX scheduled_chat ON scheduled_messages (chat_id, schedule_date);
CREATE UNIQUE INDEX scheduled_random ON scheduled_messages (sender_id, random_id);

CREATE TABLE admin_log (
  id INTEGER PRIMARY KEY,
  chat_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  date INTEGER NOT NULL,
  action TEXT NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX admin_log_chat ON admin_log (chat_id, id);
