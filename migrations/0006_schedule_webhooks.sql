CREATE TABLE `receipt_watches` (
	`tenant_id` text NOT NULL,
	`env` text NOT NULL,
	`version` integer NOT NULL,
	`committed_at` integer NOT NULL,
	`check_at` integer NOT NULL,
	`claim_token` text,
	`claimed_until` integer,
	PRIMARY KEY(`tenant_id`, `env`, `version`)
);
--> statement-breakpoint
CREATE INDEX `receipt_watches_due` ON `receipt_watches` (`check_at`);--> statement-breakpoint
CREATE TABLE `scheduled_changes` (
	`tenant_id` text NOT NULL,
	`id` text NOT NULL,
	`env` text NOT NULL,
	`flag_key` text NOT NULL,
	`action` text NOT NULL,
	`params` text NOT NULL,
	`at` integer NOT NULL,
	`origin` text NOT NULL,
	`reason` text NOT NULL,
	`directive` text,
	`created_by_key_id` text,
	`created_by_name` text NOT NULL,
	`created_at` integer NOT NULL,
	`status` text NOT NULL,
	`claim_token` text,
	`claimed_until` integer,
	`done_at` integer,
	`late` integer,
	`version` integer,
	`audit_seq` integer,
	`cause` text,
	`failures` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `scheduled_changes_due` ON `scheduled_changes` (`status`,`at`);--> statement-breakpoint
CREATE INDEX `scheduled_changes_env` ON `scheduled_changes` (`tenant_id`,`env`,`at`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`tenant_id` text NOT NULL,
	`id` text NOT NULL,
	`webhook_id` text NOT NULL,
	`event_id` text NOT NULL,
	`status` text NOT NULL,
	`attempt_count` integer NOT NULL,
	`attempts` text NOT NULL,
	`next_at` integer,
	`claim_token` text,
	`claimed_until` integer,
	`created_at` integer NOT NULL,
	`delivered_at` integer,
	PRIMARY KEY(`tenant_id`, `id`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_deliveries_event` ON `webhook_deliveries` (`tenant_id`,`webhook_id`,`event_id`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_due` ON `webhook_deliveries` (`status`,`next_at`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_webhook` ON `webhook_deliveries` (`tenant_id`,`webhook_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `webhook_events` (
	`tenant_id` text NOT NULL,
	`id` text NOT NULL,
	`type` text NOT NULL,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `id`)
);
--> statement-breakpoint
CREATE TABLE `webhooks` (
	`tenant_id` text NOT NULL,
	`id` text NOT NULL,
	`url` text NOT NULL,
	`events` text NOT NULL,
	`description` text,
	`enabled` integer NOT NULL,
	`secret` text NOT NULL,
	`previous_secret` text,
	`previous_secret_until` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `id`)
);
