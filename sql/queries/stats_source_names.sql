-- stats_source_names: whether the sources table (reverse DNS) holds anything at all; when
-- it is empty the per source lookups of stats_source_name.sql are skipped.
SELECT EXISTS (SELECT 1 FROM sources WHERE reverse_dns IS NOT NULL);
