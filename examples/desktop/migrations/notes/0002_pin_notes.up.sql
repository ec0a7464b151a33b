-- notes 1.0: pinned notes come first in the list.
ALTER TABLE notes ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1));
CREATE INDEX notes_by_pinned ON notes (pinned DESC, id);
