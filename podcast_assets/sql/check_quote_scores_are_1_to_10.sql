-- relevance_score is within 1-10 (NULL only for analyser insights, which have none).
-- asset: quotes
SELECT episode_id, relevance_score, source FROM quotes WHERE (relevance_score IS NULL AND source <> 'analyzer_insight') OR relevance_score NOT BETWEEN 1 AND 10
