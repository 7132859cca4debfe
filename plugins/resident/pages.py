"""Pages of the resident plugin."""


def routes():
    return []
