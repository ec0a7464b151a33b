-- The same rebuild back to release 1.0's table, as `sync` runs it after a firmware rollback.
-- Nothing is lost: 1.0 never stored a sensor without an interval or a disabled sensor.
DROP VIEW latest_readings;

CREATE TABLE sensors_old (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    interval_s INTEGER
);
INSERT INTO sensors_old (id, name, kind, interval_s)
    SELECT id, name, kind, interval_s FROM sensors;
DROP TABLE sensors;
ALTER TABLE sensors_old RENAME TO sensors;

CREATE INDEX sensors_kind ON sensors (kind);
CREATE VIEW latest_readings AS
    SELECT sensors.name AS sensor, max(readings.taken_at) AS taken_at, count(*) AS readings
    FROM sensors JOIN readings ON readings.sensor_id = sensors.id
    GROUP BY sensors.id;
