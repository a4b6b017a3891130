CREATE TABLE `api_keys` (
	`tenant_id` text NOT NULL,
	`id` text NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`env` text,
	`prefix` text NOT NULL,
	`secret_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	PRIMARY KEY(`tenant_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `api_keys_prefix` ON `api_keys` (`tenant_id`,`prefix`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`tenant_id` text NOT NULL,
	`seq` integer NOT NULL,
	`at` integer NOT NULL,
	`actor_key_id` text,
	`actor_name` text NOT NULL,
	`actor_role` text NOT NULL,
	`action` text NOT NULL,
	`entity` text NOT NULL,
	`entity_key` text NOT NULL,
	`env` text,
	`before` text,
	`after` text,
	`reason` text,
	`directive` text,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `seq`)
);
--> statement-breakpoint
CREATE TABLE `change_log` (
	`tenant_id` text NOT NULL,
	`env` text NOT NULL,
	`version` integer NOT NULL,
	`entity` text NOT NULL,
	`key` text NOT NULL,
	`payload` text,
	`committed_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `env`, `version`)
);
--> statement-breakpoint
CREATE TABLE `environments` (
	`tenant_id` text NOT NULL,
	`key` text NOT NULL,
	`version` integer NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `key`)
);
--> statement-breakpoint
CREATE TABLE `flag_configs` (
	`tenant_id` text NOT NULL,
	`env` text NOT NULL,
	`flag_key` text NOT NULL,
	`enabled` integer NOT NULL,
	`off_variant` text NOT NULL,
	`rules` text NOT NULL,
	`fallthrough` text NOT NULL,
	`fail_mode` text NOT NULL,
	`stale_after_ms` integer,
	`version` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `env`, `flag_key`)
);
--> statement-breakpoint
CREATE TABLE `flags` (
	`tenant_id` text NOT NULL,
	`key` text NOT NULL,
	`kind` text NOT NULL,
	`variants` text NOT NULL,
	`description` text,
	`tags` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `key`)
);
--> statement-breakpoint
CREATE TABLE `segments` (
	`tenant_id` text NOT NULL,
	`env` text NOT NULL,
	`key` text NOT NULL,
	`description` text,
	`include` text NOT NULL,
	`exclude` text NOT NULL,
	`rules` text NOT NULL,
	`version` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `env`, `key`)
);
--> statement-breakpoint
CREATE TABLE `tenants` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
