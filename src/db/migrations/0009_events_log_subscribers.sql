CREATE TABLE `event_subscribers` (
	`name` text PRIMARY KEY NOT NULL,
	`cursor` integer NOT NULL,
	`state` text DEFAULT 'active' NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`last_error_kind` text,
	`last_error_message` text,
	`last_error_at` integer,
	`delivered` integer DEFAULT 0 NOT NULL,
	`last_delivered_at` integer
);
--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`plugin` text,
	`type` text NOT NULL,
	`data` text NOT NULL,
	`account` text,
	`run_id` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_events`("id", "plugin", "type", "data", "account", "run_id", "created_at") SELECT "id", "plugin", "type", "data", "account", "run_id", "created_at" FROM `events`;--> statement-breakpoint
DROP TABLE `events`;--> statement-breakpoint
ALTER TABLE `__new_events` RENAME TO `events`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `events_created_at_idx` ON `events` (`created_at`);--> statement-breakpoint
CREATE INDEX `events_type_idx` ON `events` (`type`);--> statement-breakpoint
UPDATE `events` SET `type` = 'plugin.' || `plugin` || '.' || iif(substr(`type`, 1, length(`plugin`) + 1) = `plugin` || '.', substr(`type`, length(`plugin`) + 2), `type`) WHERE `plugin` IS NOT NULL AND `type` NOT LIKE 'plugin.%';
