ALTER TABLE users ADD COLUMN email TEXT;
UPDATE users SET email = (SELECT address FROM emails WHERE user_id = users.id);
