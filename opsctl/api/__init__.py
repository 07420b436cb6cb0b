"""The library behind every command: functions that take values and return dicts."""
