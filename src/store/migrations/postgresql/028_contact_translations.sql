-- 028_contact_translations (PostgreSQL): mirrors sqlite/028_contact_translations.sql.
-- 028_contact_translations: members of NgDP 1.68's contact structure that kuvert accepted but
-- did not keep (issue 9). Each is stored as the normalised JSON the API returns (only the
-- members kuvert knows, validated by src/hub/contact_points.c / contact_groups.c); NULL when
-- the resource has none.
--   contact_groups.postkasse_ids            ContactGroup.postkasseIds   [long, ...]
--   contact_points.report_link              ContactPoint.reportLink     {externalLink,
--                                           externalLinkText, description, label}
--   contact_points.recommended_attributes   ContactPoint.recommendedAttributes [{name}, ...]
--   contact_points.translations             ContactPoint.translations   [{postkasseId,
--                                           postkasseEmneId}, ...] (the DP/DP2 identifiers a
--                                           point stands for; filtered by the org-wide search)
ALTER TABLE contact_groups ADD COLUMN postkasse_ids TEXT;
ALTER TABLE contact_points ADD COLUMN report_link TEXT;
ALTER TABLE contact_points ADD COLUMN recommended_attributes TEXT;
ALTER TABLE contact_points ADD COLUMN translations TEXT;
