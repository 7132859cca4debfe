"""Sites, units and parties: the places and people every desk deals with."""
