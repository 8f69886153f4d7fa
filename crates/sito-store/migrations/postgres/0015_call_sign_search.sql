-- The call sign as searches compare it (lower case, ё as е), computed by the store in Rust because SQLite's lower()
-- knows only ASCII; rows from before this column are filled in when the store opens.
ALTER TABLE cases ADD COLUMN call_sign_folded TEXT;
