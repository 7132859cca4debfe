"""Models of the `hotel` plugin (Tortoise app `hotel`, tables prefixed `hotel_`)."""
