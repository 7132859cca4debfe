"""Models of the `cashier` plugin (Tortoise app `cashier`, tables prefixed `cashier_`)."""
