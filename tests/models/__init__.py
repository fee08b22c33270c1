"""Tests for the training-data tools in models/ (synthetic images only; no third-party data)."""
