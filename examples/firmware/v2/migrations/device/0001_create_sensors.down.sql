DROP VIEW latest_readings;
DROP TABLE alarms;
DROP TABLE readings;
DROP TABLE sensors;
