"""arq workers: job functions and the cron schedule."""
