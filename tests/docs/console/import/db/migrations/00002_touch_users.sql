-- +goose Up
ALTER TABLE users ADD COLUMN updated_at TEXT;
-- +goose StatementBegin
CREATE TRIGGER users_touch AFTER UPDATE OF email ON users BEGIN
  UPDATE users SET updated_at = datetime('now') WHERE id = new.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER users_touch;
ALTER TABLE users DROP COLUMN updated_at;
