-- SQLite only: its post row now puts the large columns last, so a listing
-- reads a row without walking the body's overflow pages. PostgreSQL moves
-- long values out of line itself (TOAST) and reads a row's columns from the
-- page it already holds. Kept so both folders carry the same versions.
SELECT 1;
