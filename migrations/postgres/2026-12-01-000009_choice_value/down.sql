DROP INDEX observations_choice;
CREATE INDEX observations_choice ON observations (indicator_id, kind, breakdown_id, period_id)
    INCLUDE (district_id, source_id, qualifier, id);
