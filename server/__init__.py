"""HTTP edge of Palabre: app factory, configuration, REST API, authentication, CLI."""
