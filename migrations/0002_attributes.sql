CREATE TABLE `attributes` (
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`type` text,
	`list` integer NOT NULL,
	`codes` text,
	`description` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `name`)
);
--> statement-breakpoint
-- Rules written before declarations existed keep working: every attribute they or
-- their segments name (conditions, and a rollout's bucketBy) is declared, untyped.
-- The built-ins need no row.
INSERT OR IGNORE INTO `attributes` (`tenant_id`, `name`, `type`, `list`, `codes`, `description`, `created_at`, `updated_at`)
SELECT DISTINCT `tenant_id`, `name`, NULL, 0, NULL, 'Declared when declarations were introduced: rules used it already.',
  CAST(strftime('%s', 'now') AS INTEGER) * 1000, CAST(strftime('%s', 'now') AS INTEGER) * 1000
FROM (
  SELECT fc.`tenant_id`, json_extract(c.value, '$.attribute') AS `name`
    FROM `flag_configs` fc, json_each(fc.`rules`) r, json_each(r.value, '$.when') c
  UNION ALL
  SELECT s.`tenant_id`, json_extract(c.value, '$.attribute')
    FROM `segments` s, json_each(s.`rules`) r, json_each(r.value, '$.when') c
  UNION ALL
  SELECT fc.`tenant_id`, json_extract(r.value, '$.serve.rollout.bucketBy')
    FROM `flag_configs` fc, json_each(fc.`rules`) r
  UNION ALL
  SELECT `tenant_id`, json_extract(`fallthrough`, '$.rollout.bucketBy') FROM `flag_configs`
)
WHERE typeof(`name`) = 'text' AND `name` NOT IN ('currentTime', 'employer', 'key', 'nationality', 'region');
