"""Placeholder until the workload module lands."""
