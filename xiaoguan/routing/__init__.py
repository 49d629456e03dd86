"""Lead routing: ordered rules configured by an admin, daily caps, round-robin / least-loaded, dry-run."""
