DROP TABLE tags;
