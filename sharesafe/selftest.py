"""`sharesafe self-test`: prove on this computer that every detector loads and a photo goes all the way
through scan, cover, export and verification - offline.

It is what an installed (frozen) app runs to show it is complete: every registered detector is built
and its model loaded, a photo made in code is scanned, a safe copy is exported and read back, and no
network connection is attempted. One line per check, then a summary; the exit status is 0 only when
every check passed.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from sharesafe import backends
from sharesafe.detector import Detector
from sharesafe.fsutil import sha256_bytes
from sharesafe.image import load_image
from sharesafe.jobs import Checked, check, default_review, make_safe, recheck
from sharesafe.metadata import read_metadata
from sharesafe.policy import DEFAULT_PROFILE, Profile, load_profile
from sharesafe.review import Review
from sharesafe.samples import exif_bytes, jpeg_bytes, qr_card, street_scene, thumbnail_bytes
from sharesafe.types import Category, MetadataKind, Risk

#: What the generated photo visibly contains. A loaded detector that claims one of these categories
#: must find it, or its model is not working (a detector that loads but sees nothing proves little).
SAMPLE_CONTENT: frozenset[Category] = frozenset({Category.TEXT, Category.PLATE, Category.CODE})

#: What the generated photo's metadata gives away; the scan must report it and the export must not.
SAMPLE_METADATA: frozenset[MetadataKind] = frozenset(
    {MetadataKind.LOCATION, MetadataKind.DEVICE, MetadataKind.PEOPLE, MetadataKind.HIDDEN}
)

#: Audit events that mean a connection (or a name lookup) was attempted.
_NETWORK_EVENTS = frozenset({"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto"})

#: A check returns a short detail for the PASS line, or raises (any exception) to FAIL.
CheckFn = Callable[[], str]


@dataclass(slots=True)
class CheckResult:
    name: str
    ok: bool
    seconds: float
    detail: str = ""

    def line(self) -> str:
        detail = f": {self.detail}" if self.detail else ""
        return f"{'PASS' if self.ok else 'FAIL'} {self.name}{detail} ({self.seconds:.2f} s)"


class _NetworkWatch:
    """Record attempted connections while active (audit hooks cannot be removed, so this one is
    installed once per process and only records between `start` and `stop`)."""

    _installed = False
    _lock = threading.Lock()
    active = False
    seen: list[str] = []  # noqa: RUF012 - class-level on purpose: the hook is process-wide

    @classmethod
    def _hook(cls, event: str, args: tuple[Any, ...]) -> None:
        if cls.active and event in _NETWORK_EVENTS:
            # connect/sendto: (socket, address); getaddrinfo: (host, port, ...); gethostbyname: (host,)
            target = args[1] if event in ("socket.connect", "socket.sendto") else args[:2]
            cls.seen.append(f"{event} {target!r}")

    @classmethod
    @contextmanager
    def watching(cls) -> Iterator[list[str]]:
        with cls._lock:
            if not cls._installed:
                sys.addaudithook(cls._hook)
                cls._installed = True
        cls.seen = []
        cls.active = True
        try:
            yield cls.seen
        finally:
            cls.active = False


def make_photo(folder: Path) -> Path:
    """A JPEG with GPS, a camera serial and an owner in EXIF (plus a hidden thumbnail), showing a
    'POLICE' sign, a protective marking, a collar number, a licence plate and a QR code."""
    scene = street_scene()
    card = qr_card(size=360)
    scene[780:1140, 1200:1560] = card  # bottom right, clear of the car and the signs
    exif = exif_bytes(thumbnail=thumbnail_bytes(scene))
    path = folder / "self-test-photo.jpg"
    path.write_bytes(jpeg_bytes(np.ascontiguousarray(scene), exif))
    return path


class SelfTest:
    """Runs the checks in order and remembers what the later ones need."""

    def __init__(self, out: TextIO, workdir: Path, names: Sequence[str] | None = None) -> None:
        self.out = out
        self.workdir = workdir
        self.names = names
        self.results: list[CheckResult] = []
        self.detectors: list[Detector] = []
        self.photo: Path | None = None
        self.photo_sha256 = ""
        self.profile: Profile | None = None
        self.checked: Checked | None = None
        self.exported: Path | None = None
        self.review: Review | None = None

    def check(self, name: str, fn: CheckFn) -> bool:
        started = time.perf_counter()
        try:
            detail = fn()
            ok = True
        except Exception as exc:  # noqa: BLE001 - a check fails on any error; the run goes on
            detail, ok = f"{type(exc).__name__}: {exc}", False
        result = CheckResult(name, ok, time.perf_counter() - started, detail)
        self.results.append(result)
        print(result.line(), file=self.out, flush=True)
        return ok

    # --- the checks -------------------------------------------------------------------------

    def registry(self) -> str:
        rows = backends.describe()
        if not rows:
            return "no detectors registered (metadata checks only)"
        return f"{len(rows)} registered: {', '.join(r['name'] for r in rows)}"

    def policies(self) -> str:
        """Every built-in policy profile is in place and valid (they are package data files)."""
        from sharesafe.policy_load import builtin_names, load_profile

        names = builtin_names()
        if not names:
            raise RuntimeError("no built-in policy profiles found")
        for name in names:
            load_profile(name)
        self.profile = load_profile(DEFAULT_PROFILE)
        return f"{len(names)} built-in: {', '.join(names)}"

    def load_detector(self, name: str) -> CheckFn:
        def run() -> str:
            (det,) = backends.load([name])
            det.load()
            self.detectors.append(det)
            return f"{det.info.model}" if det.info.model else ""

        return run

    def generate(self) -> str:
        self.photo = make_photo(self.workdir)
        data = self.photo.read_bytes()
        self.photo_sha256 = sha256_bytes(data)
        return f"{self.photo.name}, {len(data):,} bytes"

    def _profile(self) -> Profile:
        if self.profile is None:
            self.profile = load_profile(DEFAULT_PROFILE)
        return self.profile

    def scan_photo(self) -> str:
        assert self.photo is not None, "no photo was generated"
        checked = check(self.photo, self.detectors, self._profile())
        result = checked.scan
        if result.error:
            raise RuntimeError(result.error)
        if result.detector_errors:
            raise RuntimeError("; ".join(f"{k}: {v}" for k, v in result.detector_errors.items()))
        kinds = {m.kind for m in result.metadata if m.risk.rank >= Risk.MEDIUM.rank}
        missing_meta = sorted(k.value for k in SAMPLE_METADATA - kinds)
        if missing_meta:
            raise RuntimeError(f"metadata not reported: {', '.join(missing_meta)}")
        found = {f.category for f in result.findings}
        claimed = set().union(*(d.categories for d in self.detectors)) if self.detectors else set()
        missing = sorted(c.value for c in (SAMPLE_CONTENT & claimed) - found)
        if missing:
            raise RuntimeError(
                f"nothing found for {', '.join(missing)} (found: "
                f"{', '.join(sorted(c.value for c in found)) or 'nothing'})"
            )
        self.checked = checked
        counts = ", ".join(
            f"{sum(1 for f in result.findings if f.category is c)} {c.value}"
            for c in sorted(found, key=lambda c: c.value)
        )
        if not self.detectors:
            counts = "no detectors"
        return f"{len(result.findings)} findings ({counts or 'none'}), {len(result.metadata)} metadata items"

    def export_photo(self) -> str:
        assert self.checked is not None, "the scan did not succeed"
        self.review = default_review(self.checked)
        copy = make_safe(self.checked, self.review, self.workdir / "safe", detectors=self.detectors)
        done = copy.export
        if done is None:
            raise RuntimeError(f"no copy written: {self.checked.verdict.text}: {copy.refused}")
        if not done.ok or not done.verified or done.output is None:
            raise RuntimeError(done.error or "export not verified")
        if copy.audit is None or not copy.audit.json.is_file():
            raise RuntimeError(copy.audit_error or "no audit record beside the safe copy")
        self.exported = done.output
        return (
            f"{len(done.covered)} regions covered, {len(done.metadata_removed)} metadata items removed, "
            "audit record written"
        )

    def reread(self) -> str:
        assert self.exported is not None, "nothing was exported"
        data = self.exported.read_bytes()
        image = load_image(self.exported)
        risky = [m for m in read_metadata(data, image.format) if m.risk.rank >= Risk.MEDIUM.rank]
        if risky:
            raise RuntimeError("metadata left: " + ", ".join(f"{m.group}:{m.tag}" for m in risky[:6]))
        again = check(self.exported, self.detectors, self._profile()).scan
        if again.error or again.detector_errors:
            raise RuntimeError(again.error or str(again.detector_errors))
        # The same rule the export used, applied again from a fresh read of the file.
        assert self.review is not None
        problems = recheck(data, self.review, self.detectors)
        if problems:
            raise RuntimeError(
                "still visible: "
                + ", ".join(f"{f.category.value} at {f.box.as_list()}" for f in problems[:6])
            )
        extra = f" ({len(again.findings)} weak re-scan hits on the covers' edges)" if again.findings else ""
        return f"{image.width}x{image.height} {image.format}, no risky metadata, nothing left to cover{extra}"

    def original_unchanged(self) -> str:
        assert self.photo is not None, "no photo was generated"
        if sha256_bytes(self.photo.read_bytes()) != self.photo_sha256:
            raise RuntimeError("the original photo was modified")
        return ""

    # --- driver ----------------------------------------------------------------------------

    def run(self, extra: Sequence[tuple[str, CheckFn]] = ()) -> bool:
        with _NetworkWatch.watching() as attempts:
            self.check("detector registry", self.registry)
            self.check("policy profiles loaded", self.policies)
            names = list(self.names) if self.names is not None else backends.available()
            for name in names:
                self.check(f"detector {name} loaded", self.load_detector(name))
            for name, fn in extra:
                self.check(name, fn)
            # each step needs the one before; the original is checked whenever a photo exists
            if self.check("sample photo generated", self.generate):
                (
                    self.check("scan found what the photo shows", self.scan_photo)
                    and self.check("export verified clean", self.export_photo)
                    and self.check("export re-read clean", self.reread)
                )
                self.check("original unchanged", self.original_unchanged)

        def network() -> str:
            if attempts:
                raise RuntimeError("; ".join(attempts[:5]))
            return "no connection or name lookup attempted"

        self.check("offline", network)
        failed = [r for r in self.results if not r.ok]
        total = sum(r.seconds for r in self.results)
        if failed:
            print(
                f"self-test FAILED: {len(failed)} of {len(self.results)} checks failed ({total:.1f} s)",
                file=self.out,
            )
        else:
            print(f"self-test passed: {len(self.results)} checks ({total:.1f} s)", file=self.out)
        return not failed


def run_self_test(
    out: TextIO | None = None,
    names: Sequence[str] | None = None,
    extra: Sequence[tuple[str, CheckFn]] = (),
    keep: Path | None = None,
) -> int:
    """Run every check, print the lines, return 0 when all passed (1 otherwise).

    `names` limits the detectors (default: every registered one, optional ones included); `extra` adds checks a front end
    supplies (the frozen app adds one for the desktop window); `keep` writes the photo and the export
    there instead of a temporary folder that is removed afterwards."""
    out = out or sys.stdout
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        return 0 if SelfTest(out, keep, names).run(extra) else 1
    with tempfile.TemporaryDirectory(prefix="sharesafe-selftest-") as tmp:
        return 0 if SelfTest(out, Path(tmp), names).run(extra) else 1
