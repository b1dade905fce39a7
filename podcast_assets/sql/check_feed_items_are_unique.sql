-- No feed lists the same item guid twice (episodes match items by guid).
-- asset: feed_items
SELECT feed_id, guid, count(*) FROM feed_items GROUP BY 1, 2 HAVING count(*) > 1
