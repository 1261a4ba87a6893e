-- Steppe schema 4: files and media (issue 6).
-- A blob is stored content, named by its SHA-256; a file is one opaque id for a blob, with the
-- name and type it was uploaded under. Identical uploads are different files over one blob.
CREATE TABLE blobs (
  sha256 TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  created INTEGER NOT NULL
);

CREATE TABLE files (
  id TEXT PRIMARY KEY,
  blob TEXT NOT NULL REFERENCES blobs (sha256),
  size INTEGER NOT NULL,
  mime_type TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  owner_id INTEGER NOT NULL,
  created INTEGER NOT NULL,
  photo_id INTEGER
);
CREATE INDEX files_blob ON files (blob);
CREATE INDEX files_created ON files (created);
CREATE INDEX files_photo ON files (photo_id);

CREATE TABLE photos (
  id INTEGER PRIMARY KEY,
  owner_id INTEGER NOT NULL,
  date INTEGER NOT NULL,
  sizes TEXT NOT NULL
);

CREATE TABLE uploads (
  id TEXT PRIMARY KEY,
  owner_id INTEGER NOT NULL,
  size INTEGER NOT NULL,
  part_size INTEGER NOT NULL,
  parts INTEGER NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  mime_type TEXT NOT NULL,
  created INTEGER NOT NULL,
  file_id TEXT
);
CREATE INDEX uploads_owner ON uploads (owner_id, created);
CREATE INDEX uploads_created ON uploads (created);

CREATE TABLE upload_parts (
  upload_id TEXT NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
  part INTEGER NOT NULL,
  PRIMARY KEY (upload_id, part)
);

CREATE TABLE message_files (
  chat_id INTEGER NOT NULL,
  msg_id INTEGER NOT NULL,
  file_id TEXT NOT NULL REFERENCES files (id),
  PRIMARY KEY (chat_id, msg_id, file_id)
);
CREATE INDEX message_files_file ON message_files (file_id);

CREATE TABLE profile_photos (
  id INTEGER PRIMARY KEY,
  user_id INTEGER,
  chat_id INTEGER,
  photo_id INTEGER NOT NULL REFERENCES photos (id),
  date INTEGER NOT NULL
);
CREATE INDEX profile_photos_user ON profile_photos (user_id, id);
CREATE INDEX profile_photos_chat ON profile_photos (chat_id, id);
CREATE INDEX profile_photos_photo ON profile_photos (photo_id);

CREATE TABLE file_keys (
  id INTEGER PRIMARY KEY,
  secret TEXT NOT NULL
);
