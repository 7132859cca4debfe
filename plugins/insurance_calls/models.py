"""Models of the `insurance_calls` plugin (Tortoise app `insurance_calls`, tables prefixed `insurance_calls_`)."""
