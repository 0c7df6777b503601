-- ListCloudPhones at fleet scale.
--
-- phone_counts keeps the number of phones of each project, changed in the
-- transaction that inserts or deletes phones, so that the unfiltered
-- count of a phone list does not scan the project's phones.
CREATE TABLE phone_counts (
    project_id TEXT PRIMARY KEY,
    phones     BIGINT NOT NULL
);
INSERT INTO phone_counts (project_id, phones) SELECT project_id, COUNT(*) FROM phones GROUP BY project_id;

-- The list order (newest first, then by name) is read straight from this
-- index, which also holds the id: a page is found by skipping index
-- entries only, and then its rows are read by id.
DROP INDEX phones_project_created;
CREATE INDEX phones_project_created ON phones (project_id, created_at DESC, name, id);
