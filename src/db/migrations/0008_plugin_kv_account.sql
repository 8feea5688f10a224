PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_plugin_kv` (
	`plugin` text NOT NULL,
	`account` text DEFAULT '' NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`expires_at` integer,
	PRIMARY KEY(`plugin`, `account`, `key`)
);
--> statement-breakpoint
INSERT INTO `__new_plugin_kv`("plugin", "account", "key", "value", "expires_at") SELECT "plugin", '', "key", "value", "expires_at" FROM `plugin_kv`;--> statement-breakpoint
DROP TABLE `plugin_kv`;--> statement-breakpoint
ALTER TABLE `__new_plugin_kv` RENAME TO `plugin_kv`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `plugin_kv_expires_at_idx` ON `plugin_kv` (`expires_at`);