-- 015_contact_group_unit (PostgreSQL): mirrors sqlite/015_contact_group_unit.sql.
-- 015_contact_group_unit: NgDP 1.68's ContactGroup.organisationalUnit is a boolean (is the group
-- an organisational unit of the authority?). Before, kuvert kept a unit name in
-- organisational_unit (TEXT); that name stays (shown as organisationalUnitName) and a group
-- that had one counts as a unit.
ALTER TABLE contact_groups ADD COLUMN org_unit BIGINT NOT NULL DEFAULT 0;
UPDATE contact_groups SET org_unit = 1
    WHERE organisational_unit IS NOT NULL AND organisational_unit <> '';
