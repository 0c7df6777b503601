-- The custom properties of each phone that has any (custom_property of
-- UpdateCloudPhoneProperty, shown by ShowCloudPhoneDetail): one row per
-- phone, the map as a compact JSON object of strings, at most 7800 bytes
-- (cph.MaxCustomPropertyBytes). Written when an update is accepted,
-- removed by a reset with factory_reset_enabled and with the phones of
-- its server.
CREATE TABLE phone_custom_properties (
    phone_id   TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    server_id  TEXT NOT NULL,
    property   TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX phone_custom_properties_server ON phone_custom_properties (server_id);
CREATE INDEX phone_custom_properties_project ON phone_custom_properties (project_id);
