-- notes 2.0 files every note in a notebook. Existing notes move to a first notebook, "Notes",
-- and `notes` is rebuilt (SQLite's 12-step procedure) because ALTER TABLE cannot add a NOT NULL
-- column with a foreign key. Every row is copied: the migration that makes the backup matter.
CREATE TABLE notebooks (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
INSERT INTO notebooks (id, name) VALUES (1, 'Notes');

CREATE TABLE notes_new (
    id INTEGER PRIMARY KEY,
    notebook_id INTEGER NOT NULL DEFAULT 1 REFERENCES notebooks (id),
    body TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1))
);
INSERT INTO notes_new (id, notebook_id, body, created_at, pinned)
SELECT id, 1, body, created_at, pinned FROM notes;
DROP TABLE notes;
ALTER TABLE notes_new RENAME TO notes;
CREATE INDEX notes_by_pinned ON notes (pinned DESC, id);
CREATE INDEX notes_by_notebook ON notes (notebook_id);
