"""Placeholder until the design-space module lands (in development on a branch)."""

SPACE = None
DesignSpace = None
