CREATE TABLE audit (at INTEGER NOT NULL, what TEXT);
-- Every row says which release of the application wrote it.
INSERT INTO audit VALUES (unixepoch(), app_version());
