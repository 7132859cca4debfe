"""Pages of the cashier (see pages_*.py)."""


def routes():
    return []
