-- A fourth kind of source: statistics tables and bulletins (教育事业统计, 统计公报).
ALTER TABLE sources DROP CONSTRAINT sources_kind_check;
ALTER TABLE sources ADD CONSTRAINT sources_kind_check
    CHECK (kind IN ('self_evaluation', 'rectification_plan', 'rectification_report', 'statistics'));
