"""HTTP health probes (`opsctl probe`): config, one HTTP request with a total deadline, thresholds."""
