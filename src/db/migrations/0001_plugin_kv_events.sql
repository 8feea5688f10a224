CREATE TABLE `events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`plugin` text NOT NULL,
	`type` text NOT NULL,
	`data` text NOT NULL,
	`account` text,
	`run_id` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `events_created_at_idx` ON `events` (`created_at`);--> statement-breakpoint
CREATE INDEX `events_type_idx` ON `events` (`type`);--> statement-breakpoint
CREATE TABLE `plugin_kv` (
	`plugin` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`expires_at` integer,
	PRIMARY KEY(`plugin`, `key`)
);
--> statement-breakpoint
CREATE INDEX `plugin_kv_expires_at_idx` ON `plugin_kv` (`expires_at`);