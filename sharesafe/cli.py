"""The `sharesafe` command: scan photos, make safe copies, run the demo, start the desktop app.

Exit codes: 0 nothing found, 1 risks found, 2 usage error, 3 some files failed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from sharesafe import __version__, backends
from sharesafe.cli_text import file_json, print_profile, print_result, profile_json
from sharesafe.detector import Detector
from sharesafe.errors import ShareSafeError
from sharesafe.fsutil import atomic_write
from sharesafe.image import DEFAULT_MAX_PIXELS
from sharesafe.jobs import (
    NOT_SAFE_DIR,
    Checked,
    Cleaned,
    ExportOptions,
    OutputFolder,
    SafeCopy,
    ScanOptions,
    check_many,
    clean_many,
    collect_paths,
    write_batch_record,
)
from sharesafe.policy import (
    DEFAULT_PROFILE,
    PolicyError,
    load_profile,
    profile_sources,
    shadowed_user_files,
)
from sharesafe.redact import Shape, Style

EXIT_CLEAN = 0
EXIT_RISKS = 1
EXIT_USAGE = 2
EXIT_FAILED = 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse exits with 2 already; keep its message short
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _add_detector_options(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--detectors",
        metavar="NAMES",
        help="comma-separated detectors to run (default: all default detectors; see `sharesafe detectors`)",
    )
    group.add_argument("--no-detectors", action="store_true", help="check metadata only")
    p.add_argument(
        "--kit",
        type=Path,
        metavar="DIR",
        help="a force kit: DIR/<badge|uniform|vehicle|premises>/<name>/*.jpg|png reference images",
    )
    p.add_argument(
        "--max-pixels",
        type=int,
        default=DEFAULT_MAX_PIXELS,
        help=f"refuse images with more pixels than this (default {DEFAULT_MAX_PIXELS:,})",
    )
    p.add_argument("-r", "--recursive", action="store_true", help="look inside sub-folders too")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    p.add_argument(
        "--why",
        action="store_true",
        help="give every reason the policy has for each finding and metadata item (by default: the "
        "strongest one and how many more)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="photos worked on at once (default: one per core, at most 4)",
    )
    p.add_argument(
        "--policy",
        metavar="NAME",
        default=DEFAULT_PROFILE,
        help=f"policy profile to judge photos by (default {DEFAULT_PROFILE}; see `sharesafe policies`)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sharesafe",
        description="Check photos for what police social-media policy forbids, and make safe copies. "
        "Everything runs on this computer; nothing is uploaded.",
    )
    parser.add_argument("--version", action="version", version=f"sharesafe {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p_scan = sub.add_parser("scan", help="check photos and folders; changes nothing")
    p_scan.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    _add_detector_options(p_scan)

    p_clean = sub.add_parser("clean", help="write safe copies: metadata stripped, findings covered")
    p_clean.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p_clean.add_argument("--out", type=Path, required=True, help="folder for the safe copies")
    p_clean.add_argument(
        "--style",
        choices=[s.value for s in Style],
        default=Style.FILL.value,
        help="how to cover faces and objects (text, plates, badges, codes are always "
        "filled solid); default fill",
    )
    p_clean.add_argument("--shape", choices=[s.value for s in Shape], default=Shape.RECTANGLE.value)
    p_clean.add_argument(
        "--metadata-only",
        action="store_true",
        help="strip metadata without re-encoding (JPEG: pixels stay bit-identical); nothing is covered "
        "and no detector runs unless --detectors names some",
    )
    p_clean.add_argument(
        "--format",
        choices=["jpeg", "png", "webp"],
        default=None,
        help="export format (default: same family as the source; HEIC becomes JPEG)",
    )
    p_clean.add_argument("--srgb", action="store_true", help="embed an sRGB colour profile in the export")
    p_clean.add_argument(
        "--no-rescan",
        action="store_true",
        help="skip re-running the detectors on the export (metadata is always re-checked)",
    )
    p_clean.add_argument(
        "--redo",
        action="store_true",
        help="write new copies even of photos whose verified copy and audit record are already in --out "
        "(by default a rerun skips them, so an interrupted batch resumes)",
    )
    p_clean.add_argument(
        "--force",
        action="store_true",
        help='write copies of photos the policy says not to share at all ("Do not share": covering '
        "cannot fix them); the audit record says so",
    )
    p_clean.add_argument(
        "--full-detail",
        action="store_true",
        help="put metadata values, recognised text and full paths in the audit record "
        "(by default it says only what was removed)",
    )
    _add_detector_options(p_clean)

    p_demo = sub.add_parser("demo", help="make sample photos, scan them and write safe copies + a report")
    p_demo.add_argument("--out", type=Path, default=Path("demo-output"), help="default ./demo-output")
    p_demo.add_argument("--no-detectors", action="store_true", help="metadata only")

    sub.add_parser("detectors", help="list the detectors and the models they use")

    p_self = sub.add_parser(
        "self-test",
        help="load every detector, scan and clean a generated photo, verify the result (offline)",
    )
    p_self.add_argument(
        "--detectors", metavar="NAMES", help="comma-separated detectors (default: every registered one)"
    )
    p_self.add_argument(
        "--keep", type=Path, metavar="DIR", help="keep the generated photo and its safe copy in DIR"
    )

    p_pol = sub.add_parser("policies", help="list the policy profiles, or show one with its reasons")
    pol_sub = p_pol.add_subparsers(dest="policies_command", metavar="SUBCOMMAND", parser_class=_Parser)
    p_show = pol_sub.add_parser("show", help="show a profile: every rule, its reasons and citations")
    p_show.add_argument("name", metavar="NAME")
    p_show.add_argument("--json", action="store_true", help="print the profile as JSON")

    p_gui = sub.add_parser("gui", help="open the desktop app")
    p_gui.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    return parser


def _load_detectors(args: argparse.Namespace, err: TextIO) -> list[Detector]:
    detectors: list[Detector] = []
    if not getattr(args, "no_detectors", False):
        names = None
        if getattr(args, "detectors", None):
            names = [n.strip() for n in args.detectors.split(",") if n.strip()]
        detectors = backends.load(names)
        if not detectors and names is None:
            print("note: no detectors installed; checking metadata only", file=err)
    kit = getattr(args, "kit", None)
    if kit is not None:
        # Last, so it sees the person and vehicle boxes the other detectors found.
        detectors.append(backends.load_kit(kit))
    return detectors


def _progress(total: int, quiet: bool, desc: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="photo", file=sys.stderr, disable=quiet or total < 2 or None)


def _exit_code(items: Sequence[Checked | Cleaned]) -> int:
    failed = risky = False
    for item in items:
        checked = item if isinstance(item, Checked) else item.checked
        copy = item.copy if isinstance(item, Cleaned) else None
        if checked is None:
            continue  # resumed: done before
        failed = failed or checked.scan.error is not None
        failed = failed or (copy is not None and copy.export is not None and copy.export.error is not None)
        risky = risky or checked.scan.has_risks
    if failed:
        return EXIT_FAILED
    return EXIT_RISKS if risky else EXIT_CLEAN


def _out_inside_inputs(out_dir: Path, inputs: Sequence[Path]) -> Path | None:
    """The input folder that `out_dir` is, or is inside of (a rerun would clean its own copies)."""
    target = out_dir.resolve()
    for item in inputs:
        if item.is_dir():
            folder = item.resolve()
            if target == folder or folder in target.parents:
                return item
    return None


def _run_scan(args: argparse.Namespace, out: TextIO, err: TextIO, do_export: bool) -> int:
    if do_export:
        inside = _out_inside_inputs(args.out, args.paths)
        if inside is not None:
            print(
                f"error: --out {args.out} is inside the input folder {inside}; a rerun would clean its own "
                "copies. Choose a folder outside the photos being cleaned.",
                file=err,
            )
            return EXIT_USAGE
    if args.jobs is not None and args.jobs < 1:
        print("error: --jobs must be 1 or more", file=err)
        return EXIT_USAGE
    skipped: list[tuple[Path, str]] = []
    paths = collect_paths(args.paths, args.recursive, skipped=skipped)
    missing = [p for p in args.paths if not p.exists()]
    for p in missing:
        print(f"warning: {p} does not exist", file=err)
    for p, reason in skipped:
        print(f"skipped {p}: {reason}", file=err)
    if not paths:
        print("error: no photos found in the given paths", file=err)
        return EXIT_USAGE
    if do_export and args.metadata_only and not args.detectors and args.kit is None:
        args.no_detectors = True  # --metadata-only covers nothing: no detector runs unless asked for
    try:
        detectors = _load_detectors(args, err)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=err)
        return EXIT_USAGE
    except ShareSafeError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    try:
        profile = load_profile(args.policy)
    except PolicyError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    scan_opts = ScanOptions(max_pixels=args.max_pixels)
    items: list[Checked | Cleaned] = []
    docs: list[dict[str, Any]] = []
    quiet = args.quiet or args.json or not err.isatty()
    with contextlib.ExitStack() as stack:
        bar = stack.enter_context(_progress(len(paths), quiet, "cleaning" if do_export else "scanning"))
        batch: Iterator[Checked | Cleaned]
        if do_export:
            folder = stack.enter_context(OutputFolder.open(args.out))
            for line in folder.cleaned:
                print(f"note: {line}", file=err)
            export_opts = ExportOptions(
                style=Style(args.style),
                shape=Shape(args.shape),
                metadata_only=args.metadata_only,
                output_format=args.format,
                embed_srgb=args.srgb,
                rescan=not args.no_rescan,
                max_pixels=args.max_pixels,
            )
            batch = clean_many(
                paths,
                detectors,
                profile,
                folder,
                scan_options=scan_opts,
                options=export_opts,
                redo=args.redo,
                force=args.force,
                full_detail=args.full_detail,
                workers=args.jobs,
            )
        else:
            batch = check_many(paths, detectors, profile, scan_opts, workers=args.jobs)
        for item in batch:
            items.append(item)
            copy = item.copy if isinstance(item, Cleaned) else None
            if copy is not None and copy.audit_error:
                print(f"warning: {item.path}: {copy.audit_error}", file=err)
            if args.json:
                docs.append(file_json(item))
            else:
                bar.clear()
                print_result(item, out, args.why)
            bar.update(1)
    copies = [i.copy for i in items if isinstance(i, Cleaned) and i.copy is not None]
    if do_export:
        try:
            write_batch_record(copies, args.out, full_detail=args.full_detail)
        except OSError as exc:
            print(f"warning: could not write the batch audit record in {args.out}: {exc}", file=err)
    if args.json:
        doc: dict[str, Any] = {"files": docs}
        if skipped:
            doc["skipped"] = [{"path": str(p), "reason": r} for p, r in skipped]
        json.dump(doc, out, indent=2)
        out.write("\n")
    else:
        print(_summary(items, copies, skipped, args.out if do_export else None), file=out)
    return _exit_code(items)


def _summary(
    items: Sequence[Checked | Cleaned],
    copies: Sequence[SafeCopy],
    skipped: Sequence[tuple[Path, str]],
    out_dir: Path | None,
) -> str:
    checked = [i if isinstance(i, Checked) else i.checked for i in items]
    done = [c for c in checked if c is not None]
    failed = sum(1 for c in done if c.scan.error)
    risky = sum(1 for c in done if c.scan.has_risks)
    summary = f"{len(items)} files: {risky} with risks, {failed} failed"
    if out_dir is not None:
        good = sum(1 for c in copies if c.ok)
        unsafe = sum(1 for c in copies if c.export is not None and c.export.unsafe_copy is not None)
        refused = sum(1 for c in copies if c.refused is not None)
        forced = sum(1 for c in copies if c.forced and c.ok)
        resumed = len(items) - len(done)
        summary += f"; {good} safe copies written to {out_dir}"
        if forced:
            summary += f" ({forced} with --force against a 'Do not share' verdict)"
        if resumed:
            summary += f"; {resumed} already done (skipped; --redo writes new copies)"
        if refused:
            summary += f"; {refused} not written (Do not share; --force writes them anyway)"
        if unsafe:
            summary += f"; {unsafe} NOT safe (kept in {out_dir / NOT_SAFE_DIR}, do not share)"
    if skipped:
        summary += f"; {len(skipped)} skipped (listed above)"
    return summary


def _run_policies(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.policies_command == "show":
        try:
            profile = load_profile(args.name)
        except PolicyError as exc:
            print(f"error: {exc}", file=err)
            return EXIT_USAGE
        if args.json:
            json.dump(profile_json(profile), out, indent=2)
            out.write("\n")
        else:
            print_profile(profile, out)
        return EXIT_CLEAN
    status = EXIT_CLEAN
    for name, origin in profile_sources():
        try:
            profile = load_profile(name)
        except PolicyError as exc:
            print(f"{name:<18} INVALID  {origin}\n    {exc}", file=out)
            status = EXIT_FAILED
            continue
        mark = " (default)" if name == DEFAULT_PROFILE else ""
        where = "" if origin == "built-in" else f"  [{origin}]"
        print(f"{name:<18} {profile.title}{mark}{where}", file=out)
    for path in shadowed_user_files():
        print(f"warning: {path} is ignored: a built-in profile has that name; rename it", file=err)
    return status


def _run_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sharesafe.samples import write_samples

    base: Path = args.out
    samples = write_samples(base / "samples")
    args.jobs = None
    detectors = [] if args.no_detectors else _load_detectors(args, err)
    print(
        f"sample photos written to {base / 'samples'}; detectors: "
        f"{', '.join(d.name for d in detectors) or 'none (metadata only)'}",
        file=out,
    )
    profile = load_profile(DEFAULT_PROFILE)
    files: list[dict[str, Any]] = []
    copies: list[SafeCopy] = []
    with OutputFolder.open(base / "safe") as folder:
        for line in folder.cleaned:
            print(f"note: {line}", file=err)
        for item in clean_many(samples, detectors, profile, folder, redo=True):
            print_result(item, out)
            files.append(file_json(item))
            if item.copy is not None:
                copies.append(item.copy)
    report = base / "report.json"
    atomic_write(report, (json.dumps({"files": files}, indent=2) + "\n").encode(), overwrite=True)
    made = sum(1 for c in copies if c.ok)
    print(f"\n{made} safe copies in {base / 'safe'}; report: {report}", file=out)
    try:
        record = write_batch_record(copies, base / "audit", stem="demo-audit")
    except OSError as exc:
        print(f"warning: could not write the audit record in {base / 'audit'}: {exc}", file=err)
        record = None
    if record is not None:
        print(f"audit record: {record.html} (.json, .csv)", file=out)
    return EXIT_CLEAN if made else EXIT_FAILED


def _run_detectors_list(out: TextIO) -> int:
    rows = backends.describe()
    if not rows:
        print("no detectors installed (metadata checks only)", file=out)
    for row in rows:
        flag = "default" if row["default"] else "optional"
        print(f"{row['name']:<10} {flag:<8} {row['summary']}", file=out)
        if row.get("error"):
            print(f"{'':<20}unavailable: {row['error']}", file=out)
        elif row.get("model"):
            print(f"{'':<20}model: {row['model']}", file=out)
            print(f"{'':<20}licence: {row['licence']}; source: {row['source']}", file=out)
    return EXIT_CLEAN


def _run_self_test(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sharesafe.selftest import run_self_test

    names = None
    if args.detectors:
        names = [n.strip() for n in args.detectors.split(",") if n.strip()]
        unknown = sorted(set(names) - set(backends.available()))
        if unknown:
            print(f"error: unknown detector(s): {', '.join(unknown)}", file=err)
            return EXIT_USAGE
    return run_self_test(out, names, keep=args.keep)


def _run_gui(args: argparse.Namespace) -> int:
    try:
        app = importlib.import_module("desktop.app")
    except ModuleNotFoundError as exc:
        print(f"error: the desktop app is not installed ({exc.name} missing)", file=sys.stderr)
        return EXIT_USAGE
    code: int = app.main([str(p) for p in args.paths])
    return code


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=err,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        parser.print_help(out)
        return EXIT_USAGE
    if args.command == "scan":
        return _run_scan(args, out, err, do_export=False)
    if args.command == "clean":
        return _run_scan(args, out, err, do_export=True)
    if args.command == "demo":
        return _run_demo(args, out, err)
    if args.command == "detectors":
        return _run_detectors_list(out)
    if args.command == "self-test":
        return _run_self_test(args, out, err)
    if args.command == "policies":
        return _run_policies(args, out, err)
    if args.command == "gui":
        return _run_gui(args)
    parser.error(f"unknown command {args.command}")
    return EXIT_USAGE
