-- PostgreSQL only (search statistics); SQLite's full-text index needs none.
-- Kept so both folders carry the same versions.
SELECT 1;
