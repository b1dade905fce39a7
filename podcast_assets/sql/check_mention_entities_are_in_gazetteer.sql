-- Warns about canonical entities the gazetteer does not know (candidates for `podcast-assets
-- gazetteer suggest`); the analyser's crude first pass is not counted.
-- asset: mentions
-- severity: warn
-- sample: all
-- parameters: gazetteer_names
SELECT entity, count(*) AS n
FROM mentions
WHERE source <> 'analyzer' AND NOT list_contains(?, entity)
GROUP BY 1
ORDER BY 2 DESC, 1
