"""Code every app shares that is not configuration: error shapes, the API exception handler,
the strict serializer, middleware, queue names, the on-commit task sender, validators, the
log filter and the server-less broker. It imports no app; `config` wires it in."""
