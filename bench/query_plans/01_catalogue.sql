-- SYNTHETIC scale set for EXPLAIN: 3,000 districts x 20 years x 200 indicators = 12M rows.
-- Every code and name says SYNTHETIC; values are generated, never real.
INSERT INTO units (unit, canonical, factor) VALUES ('人', 'person', 1), ('%', 'percent', 1);
INSERT INTO districts (code, parent_id, level, name_zh, name_en)
  VALUES ('SYNTHETIC', NULL, 'municipality', 'SYNTHETIC 省级', 'SYNTHETIC province-level division');
INSERT INTO districts (code, parent_id, level, name_zh, name_en)
  SELECT 'SYN' || lpad(g::text, 4, '0'), 1, 'district', 'SYNTHETIC 区 ' || lpad(g::text, 4, '0'), 'SYNTHETIC district ' || lpad(g::text, 4, '0')
  FROM generate_series(1, 3000) g;
INSERT INTO indicators (code, name_zh, name_en, unit, category, direction, definition)
  SELECT 'SYNTHETIC_ind_' || lpad(g::text, 3, '0'), 'SYNTHETIC 指标 ' || g, 'SYNTHETIC indicator ' || g,
         CASE WHEN g % 2 = 0 THEN 'person' ELSE 'percent' END, 'quality',
         CASE WHEN g % 3 = 0 THEN 'lower_is_better' ELSE 'higher_is_better' END, 'SYNTHETIC'
  FROM generate_series(1, 200) g;
INSERT INTO breakdowns (code) VALUES ('');
INSERT INTO periods (code, kind, start_date, end_date, year)
  SELECT y::text, 'year', y || '-01-01', y || '-12-31', y FROM generate_series(2005, 2024) y;
-- One source per district and year (a yearly report), published the next spring.
INSERT INTO sources (code, title_zh, title_en, issuer, district_id, published_on, kind, review_year, body, created_at)
  SELECT 'SYNTHETIC-src-' || d.code || '-' || y, 'SYNTHETIC 报告', 'SYNTHETIC report', 'SYNTHETIC', d.id,
         (y + 1) || '-04-01', 'self_evaluation', y, 'SYNTHETIC', '2026-12-01T00:00:00.000000Z'
  FROM districts d CROSS JOIN generate_series(2005, 2024) y WHERE d.level = 'district';
