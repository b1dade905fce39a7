-- Each episode's segments are numbered 0..n-1 with no gap or duplicate.
-- asset: segments
SELECT episode_id FROM segments GROUP BY 1 HAVING count(*) <> max(seq) + 1 OR count(DISTINCT seq) <> count(*)
