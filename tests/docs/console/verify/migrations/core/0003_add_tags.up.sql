CREATE TABLE tags (label TEXT NOT NULL UNIQUE);
CREATE INDEX users_name ON users(name);
