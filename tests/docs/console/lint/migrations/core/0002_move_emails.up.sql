CREATE TABLE emails (user_id INTEGER NOT NULL REFERENCES users(id), address TEXT NOT NULL);
INSERT INTO emails SELECT id, email FROM users WHERE email IS NOT NULL;
ALTER TABLE users DROP COLUMN email;
UPDATE users SET name = slugify(name) WHERE name <> '';
