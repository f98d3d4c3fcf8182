"""Video meeting platforms: link validation, the platform registry and guest guides."""
