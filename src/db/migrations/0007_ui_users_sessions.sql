CREATE TABLE `host_counts` (
	`account` text NOT NULL,
	`lifecycle` text NOT NULL,
	`hosts` integer NOT NULL,
	PRIMARY KEY(`account`, `lifecycle`)
);
--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` integer NOT NULL,
	`csrf_token` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE INDEX `sessions_expires_at_idx` ON `sessions` (`expires_at`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`password_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`password_changed_at` integer NOT NULL,
	`disabled_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_name_unique` ON `users` (`name`);--> statement-breakpoint
DROP INDEX `hosts_account_idx`;--> statement-breakpoint
CREATE INDEX `hosts_account_hostname_idx` ON `hosts` (`account`,`hostname`);--> statement-breakpoint
CREATE INDEX `hosts_lifecycle_hostname_idx` ON `hosts` (`lifecycle`,`hostname`) WHERE lifecycle <> 'active';--> statement-breakpoint
CREATE INDEX `host_changes_run_idx` ON `host_changes` (`run_id`);--> statement-breakpoint
INSERT INTO `host_counts` (`account`, `lifecycle`, `hosts`) SELECT ifnull(`account`, ''), `lifecycle`, count(*) FROM `hosts` WHERE `deleted_at` IS NULL GROUP BY 1, 2;