"""The background runtime: timers as rows, one idempotent sweep, notifications and their deliveries."""
