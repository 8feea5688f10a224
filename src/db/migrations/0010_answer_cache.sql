CREATE TABLE `answer_cache` (
	`scope` text NOT NULL,
	`key` text NOT NULL,
	`body` blob NOT NULL,
	`facts` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`scope`, `key`)
);
