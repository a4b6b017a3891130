ALTER TABLE `stream_instances` ADD `first_version` integer DEFAULT -1 NOT NULL;--> statement-breakpoint
ALTER TABLE `stream_receipts` DROP COLUMN `seq_mark`;