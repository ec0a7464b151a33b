-- Keep updated_at current whenever a note's text changes. The trigger body has its own
-- semicolons; strata hands the file to SQLite's parser, which knows where BEGIN ... END ends.
CREATE TRIGGER notes_touch_updated_at
AFTER UPDATE OF title, body ON notes
FOR EACH ROW
BEGIN
    UPDATE notes
       SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
     WHERE id = NEW.id;
END;
