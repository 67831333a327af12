-- How many widgets there are of each size.
SELECT size, COUNT(*) AS widgets
FROM acme_widgets
GROUP BY size
ORDER BY size
