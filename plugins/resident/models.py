"""Models of the `resident` plugin (Tortoise app `resident`, tables prefixed `resident_`)."""
