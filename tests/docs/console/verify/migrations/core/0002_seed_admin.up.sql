INSERT INTO users (name) VALUES ('admin');
