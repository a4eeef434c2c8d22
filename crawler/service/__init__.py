"""The long-running service: configuration, the scheduler, the crawl runner, revisit jobs and deliveries."""
