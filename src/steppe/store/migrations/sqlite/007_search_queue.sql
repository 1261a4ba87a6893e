-- Steppe schema 7: new messages reach the search index in batches, off the send path.
-- A send only appends its key here; the indexer (store/search.py index_pending) moves queued
-- messages into messages_fts many at a time, and every search runs it first, so a search still
-- finds a message sent just before it. Edits and deletions keep their synchronous triggers.
CREATE TABLE search_queue (
  id INTEGER PRIMARY KEY,
  chat_id INTEGER NOT NULL,
  msg_id INTEGER NOT NULL
);

DROP TRIGGER messages_search_insert;
CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
WHEN new.deleted = 0 AND new.text != ''
BEGIN
  INSERT INTO search_queue (chat_id, msg_id) VALUES (new.chat_id, new.id);
END;
