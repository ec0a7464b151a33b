-- notes 2.0 shows each note on one line of the list, and tidies what is typed (`notes add`):
-- runs of spaces, tabs and line breaks become one space, and the ends are trimmed. This tidies
-- the notes earlier versions stored, character by character with a recursive CTE. It is the
-- long step of the update (about a second for 2,000 notes on a desktop): the one a user is most
-- likely to interrupt, and after which nothing of it may remain half done.
UPDATE notes SET body = (
    WITH RECURSIVE walk(i, tidy, gap) AS (
        SELECT 1, '', 0
        UNION ALL
        SELECT i + 1,
               CASE WHEN substr(notes.body, i, 1) IN (' ', char(9), char(10), char(13)) THEN tidy
                    WHEN gap AND tidy <> '' THEN tidy || ' ' || substr(notes.body, i, 1)
                    ELSE tidy || substr(notes.body, i, 1) END,
               substr(notes.body, i, 1) IN (' ', char(9), char(10), char(13))
        FROM walk
        WHERE i <= length(notes.body)
    )
    SELECT tidy FROM walk ORDER BY i DESC LIMIT 1
);
