"""Demo registers and shifts at lotus."""


async def load(demo):
    return None
