"""The web layer: app factory pieces, routing, templates, API schemas, errors."""
