-- stats_source_name: the reverse DNS name of one source IP (:ip), when known.
SELECT reverse_dns FROM sources WHERE ip = :ip;
