"""The Slack app: buttons on notifications, `opsctl slack listen` (Socket Mode), the slash command, heartbeat."""
