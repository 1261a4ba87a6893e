-- Steppe schema 8: server-side secrets shared by every node (e.g. the key login codes are
-- hashed with, so a copy of the database alone does not give the codes away).
CREATE TABLE secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
