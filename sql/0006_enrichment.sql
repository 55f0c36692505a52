-- 0006: what enrichment (`dmarcctl enrich`, issue 12) learns about each source IP, beside the
-- reverse DNS columns 0001 already had. Forward-only.
--
-- sources.ip          the IP as reports spell it (the key aggregate_records.source_ip joins on)
-- reverse_dns         the PTR name (first valid one), NULL when none or not looked up
-- base_domain         organizational domain (PSL) of the name that named the source: the PTR
--                     name, or the DKIM d= / SPF domain when name_source says so
-- name, type          the sender map's organisation and kind for base_domain ("Google",
--                     "Email Provider"); NULL when the map does not know it
-- looked_up           Unix seconds of the last reverse DNS lookup (NULL: never, e.g. --offline)
-- rdns_status         ok | nxdomain | nodata | servfail | refused | timeout | error | invalid
--                     (invalid: a PTR name that is no host name: too long, control bytes)
-- fcrdns              1 when an A/AAAA of the PTR name holds the IP (forward-confirmed),
--                     0 when it does not, NULL when unknown (no PTR, or the lookup failed)
-- expires             Unix seconds after which the reverse DNS answer is asked again: the
--                     answer's TTL (negative: the SOA minimum), at most [enrich] cache_days;
--                     a timeout / refusal / error expires at once (asked again next run)
-- name_source         ptr | dkim | spf: which name base_domain/name/type come from
-- asn, as_name, as_domain, country
--                     from the MaxMind-format databases ([enrich] asn_db, country_db); NULL
--                     without a database or when it has no entry
-- dns_error           the resolver's message for a lookup that did not give a name
ALTER TABLE sources ADD COLUMN rdns_status TEXT;
ALTER TABLE sources ADD COLUMN fcrdns INTEGER;
ALTER TABLE sources ADD COLUMN expires INTEGER;
ALTER TABLE sources ADD COLUMN name_source TEXT;
ALTER TABLE sources ADD COLUMN asn INTEGER;
ALTER TABLE sources ADD COLUMN as_name TEXT;
ALTER TABLE sources ADD COLUMN as_domain TEXT;
ALTER TABLE sources ADD COLUMN country TEXT;
ALTER TABLE sources ADD COLUMN dns_error TEXT;
