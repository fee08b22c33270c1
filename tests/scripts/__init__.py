"""Tests of the scripts under scripts/."""
