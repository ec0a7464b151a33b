DELETE FROM users WHERE name = 'admin';
