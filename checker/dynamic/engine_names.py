"""The `--engine` choices, apart from the engines themselves: the CLI lists them without importing any."""

ENGINE_NAMES = ("auto", "embedded", "local", "docker", "dsn")
