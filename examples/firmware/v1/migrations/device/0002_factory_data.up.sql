-- What a device leaves the factory with: five sensors, a week of hourly readings for each, and
-- a few alarms.
INSERT INTO sensors (id, name, kind, interval_s) VALUES
    (1, 'boiler', 'temperature', 60),
    (2, 'cellar', 'humidity', 300),
    (3, 'attic', 'temperature', 120),
    (4, 'garage', 'temperature', 600),
    (5, 'bathroom', 'humidity', 60);

INSERT INTO readings (sensor_id, taken_at, value)
WITH RECURSIVE hour(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM hour WHERE n < 167)
SELECT sensors.id, 1767225600 + hour.n * 3600, round(15.0 + sensors.id * 2.5 + (hour.n % 24) * 0.25, 2)
FROM sensors, hour
ORDER BY sensors.id, hour.n;

INSERT INTO alarms (sensor_id, threshold, above) VALUES
    (1, 85.0, 1),
    (1, 5.0, 0),
    (2, 70.0, 1),
    (5, 80.0, 1);
