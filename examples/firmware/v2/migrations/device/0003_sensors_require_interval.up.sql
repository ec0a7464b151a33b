-- Release 2.0 changes the constraints of sensors, the parent of readings and alarms: every
-- sensor must have a positive interval, its kind is checked, and it can be disabled. ALTER
-- TABLE cannot change constraints, so the table is rebuilt with SQLite's 12-step procedure
-- (https://www.sqlite.org/lang_altertable.html#otheralter). strata does steps 1, 2 and 10 to
-- 12: foreign keys off before BEGIN, foreign_key_check before COMMIT. This file does the rest.
-- With enforcement on, the DROP TABLE below would delete every reading and alarm
-- (ON DELETE CASCADE); with strata's foreign_keys = "deferred" they stay.

-- The view reads sensors: dropped here, created again once the new table has the old name.
DROP VIEW latest_readings;

CREATE TABLE sensors_new (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('temperature', 'humidity')),
    interval_s INTEGER NOT NULL DEFAULT 60 CHECK (interval_s > 0),
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1))
);
INSERT INTO sensors_new (id, name, kind, interval_s)
    SELECT id, name, kind, coalesce(interval_s, 60) FROM sensors;
DROP TABLE sensors;
ALTER TABLE sensors_new RENAME TO sensors;

-- DROP TABLE took the index with it.
CREATE INDEX sensors_kind ON sensors (kind);
CREATE VIEW latest_readings AS
    SELECT sensors.name AS sensor, max(readings.taken_at) AS taken_at, count(*) AS readings
    FROM sensors JOIN readings ON readings.sensor_id = sensors.id
    WHERE sensors.enabled
    GROUP BY sensors.id;
