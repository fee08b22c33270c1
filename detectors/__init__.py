"""Detector backends behind the `sharesafe.detector.Detector` protocol; see `registry.py`.

Importing this package switches every library the detectors use to offline (`detectors.offline`),
before any of them is imported.
"""

from detectors.offline import go_offline

go_offline()
