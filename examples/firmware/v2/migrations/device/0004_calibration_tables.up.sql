-- Release 2.0 corrects raw sensor values through a calibration table: 40,000 points for each
-- of the five sensors, computed on the device. This is the update's long step (tenths of a
-- second on a desktop, seconds on a small device): a power cut is most likely to land here, and
-- then nothing of this migration may remain.
CREATE TABLE calibration (
    sensor_id INTEGER NOT NULL REFERENCES sensors (id) ON DELETE CASCADE,
    raw INTEGER NOT NULL,
    corrected REAL NOT NULL,
    PRIMARY KEY (sensor_id, raw)
) WITHOUT ROWID;

INSERT INTO calibration (sensor_id, raw, corrected)
WITH RECURSIVE point(raw) AS (SELECT 0 UNION ALL SELECT raw + 1 FROM point WHERE raw < 39999)
SELECT sensors.id, point.raw, round(point.raw * (1.0 + sensors.id / 1000.0) - 0.5, 3)
FROM sensors, point;

CREATE INDEX calibration_by_value ON calibration (corrected);
