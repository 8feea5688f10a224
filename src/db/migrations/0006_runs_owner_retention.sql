ALTER TABLE `job_runs` ADD `owner_pid` integer;--> statement-breakpoint
ALTER TABLE `job_runs` ADD `owner_started` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `owner_pid` integer;--> statement-breakpoint
ALTER TABLE `runs` ADD `owner_started` text;--> statement-breakpoint
CREATE INDEX `host_changes_at_idx` ON `host_changes` (`at`);