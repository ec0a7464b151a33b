DROP TRIGGER notes_touch_updated_at;
