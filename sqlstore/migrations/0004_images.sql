-- Custom images and image sharing (spec §9.1-§9.6). Public images keep
-- project_id = '' and is_public = TRUE; custom images belong to a project.

ALTER TABLE images ADD COLUMN domain_id TEXT NOT NULL DEFAULT '';
ALTER TABLE images ADD COLUMN status INTEGER NOT NULL DEFAULT 1;
ALTER TABLE images ADD COLUMN image_size BIGINT NOT NULL DEFAULT 0;
ALTER TABLE images ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX images_project_created ON images (project_id, created_at);

-- One row per project an image is shared with; status is pending,
-- accepted or rejected.
CREATE TABLE image_members (
    image_id   TEXT NOT NULL REFERENCES images(id),
    member_id  TEXT NOT NULL,
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (image_id, member_id)
);
CREATE INDEX image_members_member ON image_members (member_id, status);
CREATE INDEX phones_image ON phones (image_id);
