-- The sensors of the device, their readings and their alarms. readings and alarms are children
-- of sensors: deleting a sensor deletes its readings and alarms (ON DELETE CASCADE).
CREATE TABLE sensors (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    interval_s INTEGER
);
CREATE INDEX sensors_kind ON sensors (kind);

CREATE TABLE readings (
    id INTEGER PRIMARY KEY,
    sensor_id INTEGER NOT NULL REFERENCES sensors (id) ON DELETE CASCADE,
    taken_at INTEGER NOT NULL,
    value REAL NOT NULL
);
CREATE INDEX readings_by_sensor ON readings (sensor_id, taken_at);

CREATE TABLE alarms (
    id INTEGER PRIMARY KEY,
    sensor_id INTEGER NOT NULL REFERENCES sensors (id) ON DELETE CASCADE,
    threshold REAL NOT NULL,
    above INTEGER NOT NULL DEFAULT 1
);

CREATE VIEW latest_readings AS
    SELECT sensors.name AS sensor, max(readings.taken_at) AS taken_at, count(*) AS readings
    FROM sensors JOIN readings ON readings.sensor_id = sensors.id
    GROUP BY sensors.id;
