CREATE TABLE `console_sessions` (
	`tenant_id` text NOT NULL,
	`id_hash` text NOT NULL,
	`key_id` text NOT NULL,
	`csrf_token` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `id_hash`)
);
--> statement-breakpoint
CREATE INDEX `console_sessions_key` ON `console_sessions` (`tenant_id`,`key_id`);