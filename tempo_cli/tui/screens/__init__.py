"""Screens of the Tempo TUI, one per module."""
