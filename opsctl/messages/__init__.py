"""One message model, many renderings (markdown here; Slack and Notion in their channels)."""
