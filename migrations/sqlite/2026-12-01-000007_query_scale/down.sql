DROP INDEX observations_choice;
CREATE INDEX observations_indicator_kind ON observations (indicator_id, kind, breakdown_id, period_id);
DROP TABLE data_version;
