"""Configuration and client factories shared by the CLI, the pipelines and the repositories."""
