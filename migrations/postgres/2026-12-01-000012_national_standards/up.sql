-- National standards (教育部 norms such as the 2017 county high-quality balance measures) are
-- cited by their own document, not by a seed report: their `source_id` is null, their quote is
-- the national document's wording (checked against `seeds/references/` when seeded) and the
-- citation is in doc_title / doc_number / issuer, which the seed loader then requires.
ALTER TABLE standards ALTER COLUMN source_id DROP NOT NULL;
