CREATE TABLE `host_seen` (
	`host_id` integer PRIMARY KEY NOT NULL,
	`last_seen` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
-- Added after generation: keep what hosts.last_seen knew.
INSERT INTO `host_seen` (`host_id`, `last_seen`) SELECT `id`, `last_seen` FROM `hosts`;--> statement-breakpoint
ALTER TABLE `hosts` DROP COLUMN `last_seen`;