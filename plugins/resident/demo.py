"""Demo records for harbour."""


async def load(demo):
    return None
