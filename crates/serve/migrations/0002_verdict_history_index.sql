-- A cluster card shows the latest verdicts on the cluster: an index in (case, cluster, id)
-- order reads them newest first and stops at the card's limit, however long the history.
CREATE INDEX verdicts_cluster_latest ON verdicts(case_id, cluster, id);
DROP INDEX verdicts_cluster;
