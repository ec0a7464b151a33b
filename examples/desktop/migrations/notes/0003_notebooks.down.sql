-- Back to 1.0's single list: the notebooks are dropped, every note is kept.
CREATE TABLE notes_old (
    id INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1))
);
INSERT INTO notes_old (id, body, created_at, pinned)
SELECT id, body, created_at, pinned FROM notes;
DROP TABLE notes;
ALTER TABLE notes_old RENAME TO notes;
CREATE INDEX notes_by_pinned ON notes (pinned DESC, id);
DROP TABLE notebooks;
