CREATE TABLE `signing_keys` (
	`tenant_id` text NOT NULL,
	`env` text NOT NULL,
	`n` integer NOT NULL,
	`public_key` text NOT NULL,
	`private_key` text,
	`created_at` integer NOT NULL,
	`retires_at` integer,
	PRIMARY KEY(`tenant_id`, `env`, `n`)
);
--> statement-breakpoint
ALTER TABLE `environments` ADD `epoch` text;--> statement-breakpoint
-- Environments created before epochs get one now (src/core/signing/epoch.ts: 12 hex digits of milliseconds, 12 random). Their signing keys are created on first use (src/core/store/signing-keys.ts): SQL cannot make an Ed25519 key.
UPDATE `environments` SET `epoch` = printf('%012x', CAST(strftime('%s', 'now') AS INTEGER) * 1000) || lower(hex(randomblob(6))) WHERE `epoch` IS NULL;
