"""docgen web: the browser app for clerks and the HTTP API for other systems, over docgen.api."""
