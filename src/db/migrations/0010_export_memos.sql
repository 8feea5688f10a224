CREATE TABLE `export_memos` (
	`target` text NOT NULL,
	`hostname` text NOT NULL,
	`input` text NOT NULL,
	`fingerprint` text NOT NULL,
	PRIMARY KEY(`target`, `hostname`)
);
