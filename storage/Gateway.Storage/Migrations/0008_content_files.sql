-- Content bodies move out of the database into files under <DataDir>/content (issue 21): a Block2
-- read is one pread of the file, and a 1 GiB image is neither one transaction nor a 1 GiB WAL.
-- NULL marks a body still in content_chunk; the store moves those into files on first use.
ALTER TABLE content ADD COLUMN file TEXT;
