-- The original spacing is not kept: going back leaves the notes tidied, which 1.0 reads as is.
SELECT 1;
