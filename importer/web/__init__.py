"""The web front end (`cmassoc serve`): a thin layer over the same library as the CLI."""
