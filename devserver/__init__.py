"""Tempo's dev server: Temporal's WorkflowService API in one Python process."""

__version__ = "1.32.0-tempo.0.1.0"
