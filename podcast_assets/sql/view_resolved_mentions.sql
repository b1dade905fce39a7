-- One row per mention in each episode's file of record (see `canonical_files`), counted under
-- its canonical name: `entity` as merged across episodes by `entity_aliases`, `spelling` as
-- extraction wrote it.
SELECT m.* REPLACE (coalesce(a.canonical, m.entity) AS entity), m.entity AS spelling
FROM mentions m
JOIN canonical_files c USING (episode_id)
LEFT JOIN entity_aliases a
    ON a.surface = m.entity AND a.label IS NOT DISTINCT FROM m.label
