# SPDX-License-Identifier: MIT
# The database goose left behind after applying db/migrations 00001 to 00003 (docs/import.md).
import sqlite3

db = sqlite3.connect("app.db")
db.executescript("""
CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL,
  is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')));
INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1), (1, 1), (2, 1), (3, 1);
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, updated_at TEXT);
CREATE TRIGGER users_touch AFTER UPDATE OF email ON users BEGIN
  UPDATE users SET updated_at = datetime('now') WHERE id = new.id;
END;
""")
db.close()
