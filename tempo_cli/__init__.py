"""The `tempo` command line."""
