"""Numbered receipts: a gapless sequence per site and series, reprints marked COPY, voids kept."""
