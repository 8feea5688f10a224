-- Edited after generation: label_index is WITHOUT ROWID (drizzle cannot declare it).
CREATE TABLE `host_changes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`host_id` integer NOT NULL,
	`run_id` integer,
	`at` integer NOT NULL,
	`changes` text NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `host_changes_host_idx` ON `host_changes` (`host_id`,`id`);--> statement-breakpoint
CREATE TABLE `label_index` (
	`key` text NOT NULL,
	`value` text NOT NULL,
	`host_ids` text NOT NULL,
	PRIMARY KEY(`key`, `value`)
) WITHOUT ROWID;
--> statement-breakpoint
ALTER TABLE `hosts` ADD `created_run` integer;--> statement-breakpoint
ALTER TABLE `runs` DROP COLUMN `dry_run`;