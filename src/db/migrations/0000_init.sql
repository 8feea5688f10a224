CREATE TABLE `hosts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`hostname` text NOT NULL,
	`account` text,
	`labels` text DEFAULT '{}' NOT NULL,
	`inventory` text DEFAULT '{}' NOT NULL,
	`lifecycle` text DEFAULT 'active' NOT NULL,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL,
	`last_changed` integer NOT NULL,
	`deleted_at` integer,
	`delete_reason` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `hosts_hostname_unique` ON `hosts` (`hostname`);--> statement-breakpoint
CREATE INDEX `hosts_account_idx` ON `hosts` (`account`);--> statement-breakpoint
CREATE INDEX `hosts_deleted_at_idx` ON `hosts` (`deleted_at`);--> statement-breakpoint
CREATE TABLE `runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`plugin` text NOT NULL,
	`command` text NOT NULL,
	`account` text,
	`trigger` text DEFAULT 'cli' NOT NULL,
	`dry_run` integer DEFAULT false NOT NULL,
	`status` text DEFAULT 'running' NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`duration_ms` integer,
	`created` integer DEFAULT 0 NOT NULL,
	`updated` integer DEFAULT 0 NOT NULL,
	`unchanged` integer DEFAULT 0 NOT NULL,
	`skipped` integer DEFAULT 0 NOT NULL,
	`deleted` integer DEFAULT 0 NOT NULL,
	`details` text DEFAULT '[]' NOT NULL,
	`error_kind` text,
	`error_message` text
);
--> statement-breakpoint
CREATE INDEX `runs_started_at_idx` ON `runs` (`started_at`);--> statement-breakpoint
CREATE INDEX `runs_plugin_command_idx` ON `runs` (`plugin`,`command`);--> statement-breakpoint
CREATE INDEX `runs_status_idx` ON `runs` (`status`);