DELETE FROM alarms;
DELETE FROM readings;
DELETE FROM sensors;
