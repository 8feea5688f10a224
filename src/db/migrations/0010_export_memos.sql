-- Edited after generation: export_memos is WITHOUT ROWID (drizzle cannot declare it): an export's pages look each host's memo up by its key, and read it from the same B-tree.
CREATE TABLE `export_memos` (
	`target` text NOT NULL,
	`hostname` text NOT NULL,
	`input` text NOT NULL,
	`fingerprint` text NOT NULL,
	PRIMARY KEY(`target`, `hostname`)
) WITHOUT ROWID;
