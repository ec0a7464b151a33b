DROP INDEX notes_by_user_updated;
DROP TABLE notes;
