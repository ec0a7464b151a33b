-- Items, with text a C++ literal must carry exactly: "quotes", back\slash, ??= and ??/ (once
-- trigraphs), a tab	here, and UTF-8: café, 東京.
CREATE TABLE items (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL DEFAULT 'a "b" \c ??= d'
);
INSERT INTO items (name) VALUES ('café ??/ 東京');
