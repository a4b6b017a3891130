CREATE TABLE `stream_instances` (
	`node_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`env` text NOT NULL,
	`seq` integer NOT NULL,
	`instance` text NOT NULL,
	`app` text NOT NULL,
	`sdk` text NOT NULL,
	`connected_at` integer NOT NULL,
	`applied_version` integer NOT NULL,
	`last_ack_at` integer NOT NULL,
	PRIMARY KEY(`node_id`, `tenant_id`, `env`, `seq`)
);
--> statement-breakpoint
CREATE INDEX `stream_instances_env` ON `stream_instances` (`tenant_id`,`env`,`connected_at`);--> statement-breakpoint
CREATE TABLE `stream_nodes` (
	`id` text PRIMARY KEY NOT NULL,
	`started_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL,
	`reported_through` integer NOT NULL,
	`joined_through` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `stream_receipts` (
	`tenant_id` text NOT NULL,
	`env` text NOT NULL,
	`version` integer NOT NULL,
	`node_id` text NOT NULL,
	`committed_at` integer NOT NULL,
	`seq_mark` integer NOT NULL,
	`connected` integer NOT NULL,
	`latencies` blob NOT NULL,
	PRIMARY KEY(`tenant_id`, `env`, `version`, `node_id`)
);
