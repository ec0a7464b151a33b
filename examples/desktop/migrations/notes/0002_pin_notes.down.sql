DROP INDEX notes_by_pinned;
ALTER TABLE notes DROP COLUMN pinned;
