-- When the user was last active; NULL until their first sign-in.
ALTER TABLE users ADD COLUMN last_seen_at TEXT;
