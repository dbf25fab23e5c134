"""Orchestration: a cycle's edges in, the analysis, edges out; commands' logic."""
