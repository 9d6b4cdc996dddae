"""HTTP layer: the ASGI application, hook route, authentication, limits, logs, metrics, health, OpenAPI, discovery, feedback endpoint."""
