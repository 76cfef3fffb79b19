DROP TABLE draft_items;
DROP TABLE drafts;
