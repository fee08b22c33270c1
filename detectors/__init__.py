"""Detector backends behind the `sharesafe.detector.Detector` protocol; see `registry.py`."""
