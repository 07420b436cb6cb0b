"""People and how to reach them: the `people:` directory, priorities (P0-P3), the announce hook."""
