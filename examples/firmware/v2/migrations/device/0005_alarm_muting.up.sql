-- An alarm can be muted from the device's screen.
ALTER TABLE alarms ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;
