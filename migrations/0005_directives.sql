CREATE TABLE `directives` (
	`tenant_id` text NOT NULL,
	`ref` text NOT NULL,
	`title` text NOT NULL,
	`issuer` text,
	`received_at` integer NOT NULL,
	`deadline` integer,
	`summary` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`lifted_at` integer,
	`lift_reason` text,
	`lifted_by` text,
	PRIMARY KEY(`tenant_id`, `ref`)
);
--> statement-breakpoint
CREATE TABLE `receipts` (
	`tenant_id` text NOT NULL,
	`env` text NOT NULL,
	`version` integer NOT NULL,
	`committed_at` integer NOT NULL,
	`saved_at` integer NOT NULL,
	`status` text NOT NULL,
	`body` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `env`, `version`)
);
--> statement-breakpoint
CREATE INDEX `audit_log_directive` ON `audit_log` (`tenant_id`,`directive`);--> statement-breakpoint
CREATE INDEX `audit_log_entity_key` ON `audit_log` (`tenant_id`,`entity_key`);