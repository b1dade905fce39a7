-- Warns about organisations and products that two or more episodes mention but the gazetteer
-- does not know: the candidates worth adding (`podcast-assets gazetteer suggest`). People,
-- places and names one episode drops are open-ended and not counted, nor is the analyser's
-- crude first pass.
-- asset: mentions
-- severity: warn
-- sample: all
-- parameters: gazetteer_names
SELECT m.entity, count(DISTINCT e.episode_key) AS episodes, count(*) AS n
FROM mentions m JOIN episodes e USING (episode_id)
WHERE m.source <> 'analyzer'
    AND m.label IN ('ORG', 'PRODUCT')
    AND NOT list_contains(?, m.entity)
GROUP BY 1
HAVING count(DISTINCT e.episode_key) >= 2
ORDER BY 2 DESC, 3 DESC, 1
