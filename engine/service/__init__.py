"""The decision service: the ASGI application behind ``chronolex serve``.

The engine never reads a clock; the service is handed one (:class:`Clock`) by whoever
starts it, so tests drive time and the one clock read stays at the edge.
"""
