"""Self-hosting: the Flask app, request verification and the serve command."""
