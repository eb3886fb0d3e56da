-- The MySQL grants each algoitny-etl command needs, and no more (README, "Least privilege").
-- Replace `algoitny` with your database and 'etl'@'%' with the tool's user (and host).
-- tests/integration/test_least_privilege.py runs the commands as a user made from this file.

CREATE USER 'etl'@'%' IDENTIFIED BY 'CHANGE-ME';

-- migrate, verify (counts, --deep, --deep --repair), replay, sync, check-reads: read the AlgoItny
-- tables (and django_content_type, which job progress rows join).
GRANT SELECT ON `algoitny`.* TO 'etl'@'%';

-- sync: read the binary log (REPLICATION SLAVE) and where it stands (SHOW MASTER STATUS, SHOW
-- BINARY LOGS). migrate needs them too, to record where sync starts; without them it loads all
-- the same and says sync cannot follow it. On MariaDB 10.5+ the second privilege is BINLOG
-- MONITOR; on MySQL 8 write REPLICATION CLIENT instead:
--   GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'etl'@'%';
GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'etl'@'%';

-- After cut-over, reverse-sync, rollback and verify --deep --repair --to mysql write the
-- application's changes back into MySQL: rows upserted and deleted, and a table's
-- AUTO_INCREMENT raised above the ids the table side made (ALTER).
GRANT INSERT, UPDATE, DELETE, ALTER ON `algoitny`.* TO 'etl'@'%';

-- seed (sample data, rehearsals only) creates tables and writes rows: never give it a real
-- database. The rehearsal's servers run it as root.
