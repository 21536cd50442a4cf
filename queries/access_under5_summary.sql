-- ward_access_under5 for the build summary: its rows, and the share of England's under-5s
-- whose LSOA point is within 1 km of the early-years group ($group).
SELECT (SELECT count(*) FROM ward_access_under5) AS n_rows,
       round(sum(share_under5_within_1km * under5) / nullif(sum(under5), 0), 3) AS share_1km
FROM ward_access_under5
WHERE service_type = $group;
