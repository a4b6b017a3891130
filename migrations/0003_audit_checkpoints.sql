ALTER TABLE `change_log` ADD `audit_seq` integer;--> statement-breakpoint
ALTER TABLE `change_log` ADD `audit_hash` text;