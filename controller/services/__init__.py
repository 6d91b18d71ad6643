"""What the API does, below Flask: each function takes a session and a caller.

Nothing here imports Flask. Functions flush but never commit; the request
that called them commits once, so a failed step leaves nothing half-done.
"""
