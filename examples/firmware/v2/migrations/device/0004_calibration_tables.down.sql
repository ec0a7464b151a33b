DROP TABLE calibration;
