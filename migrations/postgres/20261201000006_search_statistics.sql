-- A search reads its candidates either newest-first through the primary key
-- (a common word matches within the first few hundred posts) or through the
-- GIN index (a rare word matches a handful). PostgreSQL picks from the word's
-- frequency in the column statistics; with the default target only the few
-- hundred commonest words are listed and any other word is guessed as common,
-- so a rare word walked the whole table. A larger target lists ten thousand.
ALTER TABLE post ALTER COLUMN search SET STATISTICS 1000;
ANALYZE post (search);
