"""The web layer: request hooks, cookie policy, error pages and shared forms."""
