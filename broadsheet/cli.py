"""The command line: the only place that prints for the user or exits."""

from __future__ import annotations

import argparse
import gc
import os
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from . import __version__
from .config import CONFIG_NAME, load_config_problems
from .errors import BroadsheetError, BuildFailed, UsageError
from .outputs import output_folder
from .related.index import SIGNALS, Explanation

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


EXAMPLES = """\
examples:
  broadsheet init my-news && cd my-news     start a site (site.yml, a sample article, a deploy workflow)
  broadsheet serve -D                       preview with live reload, drafts included
  broadsheet new "Council backs harbour plan" --category Politics
  broadsheet build                          build the site into output/
  broadsheet build -b https://you.github.io/news/   build for a site published under a sub-path
  broadsheet schedule --format iso          when the next embargo lifts (for cron or CI)

With no command, broadsheet builds. Exit codes: 0 success, 1 errors in the site (every one listed),
2 bad usage (an unknown flag, no site.yml in the site folder). See README.md for more.
"""


def _site_options(p: argparse.ArgumentParser, drafts: bool = True) -> None:
    """The flags every command that reads a site shares (the short forms are Hugo's and Pelican's)."""
    p.add_argument("-s", "--source", default=".", metavar="DIR", help="site folder (with site.yml); default: here")
    if drafts:
        p.add_argument("-D", "--drafts", action="store_true", help="include articles marked draft: true")
        p.add_argument("-F", "--future", action="store_true", help="include embargoed (future-dated) articles")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="broadsheet",
        description="Broadsheet: a static site generator for news sites.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    p.add_argument("--version", action="version", version=f"Broadsheet {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str, description: str | None = None) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=description or help, allow_abbrev=False)

    b = command("build", "build the site into output/ (the default command)")
    _site_options(b)
    b.add_argument("-d", "--output", metavar="DIR", help="output folder; default: output/ in the site")
    b.add_argument("-b", "--base-url", metavar="URL", help="override site.yml base_url (a staging server, a sub-path)")
    b.add_argument("--strict", action="store_true", help="fail on warnings too")
    b.add_argument("-j", "--jobs", type=int, metavar="N", help="worker processes (default: all cores)")
    b.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print only warnings and errors: no summary line, no progress display",
    )
    b.add_argument(
        "--no-search",
        dest="search",
        action="store_false",
        help="skip the search index (Pagefind re-reads every article page when one changes)",
    )

    v = command("serve", "preview with live reload (built in memory, never into output/)")
    _site_options(v)
    v.add_argument("--host", default="127.0.0.1", help="address to listen on; default 127.0.0.1 (this machine only)")
    v.add_argument("-p", "--port", type=int, default=8000, help="port to listen on (0: any free one); default 8000")
    v.add_argument(
        "-b",
        "--base-url",
        metavar="URL",
        help="preview under this URL's path, as the site will be published (e.g. https://you.github.io/news/)",
    )
    v.add_argument(
        "--poll",
        action="store_true",
        help="poll for changes instead of file system events (network or container folders)",
    )
    v.add_argument("--open", action="store_true", help="open the preview in a web browser")

    i = command("init", "start a new site in DIR: site.yml, a sample article, static/, a deploy workflow")
    i.add_argument("folder", nargs="?", default=".", metavar="DIR", help="the new site's folder; default: here")
    i.add_argument("--title", help="the site's name; default: made from the folder's name")

    n = command("new", "start a new article (as a draft)")
    n.add_argument("title", help="the headline")
    n.add_argument("--category", help="category name (default: the first in site.yml)")
    n.add_argument("--author", help="author name or slug (default: site.yml default_author)")
    _site_options(n, drafts=False)

    r = command("related", 'show why articles are in an article\'s "You may also like" block')
    r.add_argument("slug", help="the article's slug (or its URL)")
    _site_options(r)

    s = command("schedule", "when the published site next changes by itself (embargo, expiry)")
    _site_options(s, drafts=False)
    s.add_argument(
        "--format",
        choices=("text", "iso"),
        default="text",
        help="iso: print only the time (nothing when nothing is scheduled), for cron jobs and CI",
    )

    i = command("import", "bring in an archive: a WordPress export, a Jekyll or a Hugo site")
    i.add_argument("kind", choices=("wordpress", "jekyll", "hugo"), help="what the archive is")
    i.add_argument("path", help="the WordPress export (.xml) or the Jekyll/Hugo site's folder")
    i.add_argument(
        "-s", "--source", default=".", help="the Broadsheet site to import into (made if missing); default: here"
    )
    i.add_argument("--category", default="News", help="category of articles that have none; default: News")
    i.add_argument("--uploads", help="WordPress: a local copy of wp-content/uploads to take images from")
    i.add_argument("--download-images", action="store_true", help="WordPress: download images from the old site")
    i.add_argument("--dry-run", action="store_true", help="report what would be imported; write nothing")
    return p


def _report(errors: Sequence[BroadsheetError]) -> None:
    for err in errors:
        print(f"{err.format()}", file=sys.stderr)


class TerminalProgress:
    """Draws build progress on one line of a terminal, updated in place: "Parsing 4,210/10,000".

    Nothing is drawn during the first ``delay`` seconds, so quick builds stay quiet, nor more
    often than every ``interval`` seconds; :meth:`close` clears the line.
    """

    def __init__(
        self, stream: TextIO, delay: float = 2.0, interval: float = 0.1, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stream = stream
        self.delay = delay
        self.interval = interval
        self.clock = clock
        self.started = clock()
        self.last = float("-inf")
        self.shown = False
        self.line = ""

    @classmethod
    def for_stream(cls, stream: TextIO, quiet: bool) -> TerminalProgress | None:
        """A display for ``stream`` if it is a terminal and the user did not ask for quiet."""
        return None if quiet or not stream.isatty() else cls(stream)

    def __call__(self, stage: str, done: int, total: int) -> None:
        """Show a stage and its count (see broadsheet.progress.Progress)."""
        self.line = f"{stage} {done:,}/{total:,}" if total else f"{stage}…"
        now = self.clock()
        last_item = total > 0 and done >= total
        if now - self.started < self.delay or (now - self.last < self.interval and not last_item):
            return
        self.last = now
        self.shown = True
        self.stream.write(f"\r\x1b[K{self.line}")
        self.stream.flush()

    def close(self) -> None:
        """Clear the line, so that the summary or the errors print on a clean one."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


def _run_build(args: argparse.Namespace, ends_process: bool = False) -> int:
    # The engine is imported here, inside main's Ctrl+C handling: on a busy machine its imports
    # take a second, and an interrupt then must end the build as quietly as one later.
    from .pipeline import BUILD_GC_THRESHOLDS, BuildOptions, build

    if ends_process:
        # No automatic collection after the build: turned on again, the collector would walk the
        # site's objects (a tenth of a second on 10,000 articles) that the process's exit (see
        # run) frees anyway. (The build turns it on where it renders page after page.)
        gc.set_threshold(*BUILD_GC_THRESHOLDS)
        gc.disable()

    progress = TerminalProgress.for_stream(sys.stderr, args.quiet)
    options = BuildOptions(
        source=Path(args.source).resolve(),
        output=output_folder(Path(args.output)) if args.output else None,
        drafts=args.drafts,
        future=args.future,
        base_url=args.base_url,
        strict=args.strict,
        jobs=args.jobs,
        search=args.search,
        progress=progress,
    )
    try:
        try:
            result = build(options)
        finally:
            if progress is not None:
                progress.close()
    except BuildFailed as failed:
        _report(failed.errors)
        print(f"Build failed: {len(failed.errors)} error(s); {options.output_dir} left as it was.", file=sys.stderr)
        return EXIT_ERRORS
    for n in result.notices:
        print(f"note: {n.format()}", file=sys.stderr)
    for w in result.warnings:
        print(f"warning: {w.format()}", file=sys.stderr)
    if not args.quiet and result.unchanged is not None:
        print(
            f"Nothing changed since the last build: the {result.unchanged} files in {options.output_dir} "
            f"are up to date; {len(result.warnings)} warning(s) in {result.seconds:.2f} s"
        )
    elif not args.quiet:
        s = result.stats
        assert s is not None
        print(
            f"Built {len(result.files)} files ({result.pages_rendered} pages) into {options.output_dir}: "
            f"{s.written} written, {s.unchanged} unchanged, {s.removed} removed; "
            + (f"{result.pictures_processed} picture(s) made; " if result.pictures_processed else "")
            + f"{len(result.warnings)} warning(s) in {result.seconds:.2f} s"
        )
    return EXIT_OK


def _run_serve(args: argparse.Namespace) -> int:
    import contextlib
    import signal
    import threading
    import webbrowser

    from .serve import Notice, PreviewSession, ServeOptions
    from .serve.server import is_loopback
    from .urls import base_path

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a port number", None, None, "use 1024 to 65535, or 0")
    options = ServeOptions(
        source=Path(args.source).resolve(),
        host=args.host,
        port=args.port,
        drafts=args.drafts,
        future=args.future,
        poll=args.poll,
        base_path=base_path(args.base_url) if args.base_url else "/",
    )
    if not is_loopback(args.host):
        print(
            f"warning: listening on {args.host}: other machines can read this preview, drafts included "
            "(leave out --host to keep it on this machine)",
            file=sys.stderr,
        )
    check_site_folder(args.source)

    def report(notice: Notice) -> None:
        if notice.kind == "building" and notice.changed:
            return  # the outcome follows at once
        stream = sys.stderr if notice.kind in ("failed", "internal") else sys.stdout
        print(notice.text, file=stream, flush=True)
        if notice.kind == "failed":
            for err in notice.errors:
                print(f"  {err.format()}", file=stream, flush=True)
        if notice.kind == "ready":
            print("Edit files and save: pages reload by themselves. Ctrl+C stops.", flush=True)
            if args.open:
                threading.Thread(target=webbrowser.open, args=(session.url,), daemon=True).start()

    session = PreviewSession(options, report)
    session.bind()

    def terminated(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # `kill`, a service manager or a container's stop: end as Ctrl+C does

    signal.signal(signal.SIGTERM, terminated)
    session.build_first()
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is how a preview ends; the session says so
        session.serve_forever()
    return EXIT_OK


def _run_new(args: argparse.Namespace) -> int:
    from .newarticle import new_article

    config, problems = load_config_problems(Path(args.source).resolve())
    if config is None or problems:
        _report(problems)
        return EXIT_ERRORS
    path = new_article(config, args.title, args.category, args.author)
    print(os.path.relpath(path))
    return EXIT_OK


def _related_table(title: str, url: str, explained: Sequence[Explanation]) -> str:
    """Lay out an article's related list with the share of each signal in every score."""
    signals = (*SIGNALS, "pinned")
    lines = [f'Related to "{title}" ({url}):']
    if not explained:
        lines.append("  (no related articles)")
        return "\n".join(lines)
    header = ["#", "score", *signals, "article", "shared words and tags"]
    rows = [
        [str(n), f"{e.score:.3f}", *(f"{e.shares[s]:.0%}" for s in signals), e.key, ", ".join(e.shared_terms[:5])]
        for n, e in enumerate(explained, 1)
    ]
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header) - 1)]
    for r in [header, *rows]:
        cells = [r[c].rjust(widths[c]) if c < len(widths) - 1 else r[c].ljust(widths[c]) for c in range(len(widths))]
        lines.append("  " + "  ".join(cells) + "  " + r[-1])
    return "\n".join(lines)


def _run_related(args: argparse.Namespace) -> int:
    from .content.ranking import related_settings
    from .related.index import build_related_index, explain_in
    from .stages.load import load_site
    from .stages.rank import related_docs
    from .stages.types import BuildOptions

    options = BuildOptions(source=Path(args.source).resolve(), drafts=args.drafts, future=args.future)
    try:
        loaded = load_site(options)
    except BuildFailed as failed:
        _report(failed.errors)
        print(f"Cannot read the site: {len(failed.errors)} error(s).", file=sys.stderr)
        return EXIT_ERRORS
    site = loaded.site
    matches = [a for a in site.articles if args.slug in (a.slug, a.url)]
    if not matches:
        print(f"error: no published article has the slug or URL '{args.slug}'", file=sys.stderr)
        return EXIT_ERRORS
    index = build_related_index(related_docs(site), related_settings(site))
    print("\n\n".join(_related_table(a.title, a.url, explain_in(index, a.url)) for a in matches))
    return EXIT_OK


def _run_schedule(args: argparse.Namespace) -> int:
    from .content.schedule import EXPIRE, PUBLISH, next_changes
    from .stages.load import read_schedule
    from .stages.types import BuildOptions

    try:
        config, changes = read_schedule(BuildOptions(source=Path(args.source).resolve()))
    except BuildFailed as failed:
        _report(failed.errors)
        return EXIT_ERRORS
    upcoming = next_changes(changes)
    if args.format == "iso":
        if upcoming:
            print(upcoming[0].when.astimezone(config.tz).isoformat())
        return EXIT_OK
    if not upcoming:
        print("Nothing scheduled: no embargoed, expiring or featured article is waiting.")
        return EXIT_OK
    for n, change in enumerate(changes):
        when = change.when.astimezone(config.tz).isoformat()
        what = {PUBLISH: "published (embargo lifts)", EXPIRE: "expires"}.get(change.kind, "no longer featured")
        lead = "Next change:" if n < len(upcoming) else "Then:       "
        print(f"{lead} {when}  {change.source}  {what}: {change.title}")
    return EXIT_OK


def _run_init(args: argparse.Namespace) -> int:
    from .scaffold import init_site

    folder = Path(args.folder)
    written = init_site(folder, args.title)
    shown = os.path.relpath(folder)
    print(f"Created a new site in {shown}/ ({len(written)} files):")
    for path in written:
        print(f"  {os.path.relpath(path, folder)}")
    print("\nNext:")
    if shown != ".":
        print(f"  cd {shlex.quote(shown)}")
    print("  broadsheet serve      # preview with live reload at http://127.0.0.1:8000/")
    print("  broadsheet build      # build the site into output/, ready to publish")
    print("Set base_url in site.yml to the address you will publish at (see Deploy in Broadsheet's README).")
    return EXIT_OK


def check_site_folder(source: str) -> None:
    """Raise UsageError (exit 2, for every command) when ``source`` holds no site.yml."""
    folder = Path(source)
    if not (folder / CONFIG_NAME).is_file():
        where = "here" if source == "." else str(folder)
        raise UsageError(
            f"no {CONFIG_NAME} {'' if where == 'here' else 'in '}{where}",
            None,
            None,
            "run the command in a site folder, pass --source DIR, or start a site with: broadsheet init DIR",
        )


def _run_import(args: argparse.Namespace) -> int:
    from .importers import ImportFailed, ImportOptions, run_import

    options = ImportOptions(
        default_category=args.category,
        uploads=Path(args.uploads).resolve() if args.uploads else None,
        download_images=args.download_images,
        dry_run=args.dry_run,
    )
    try:
        report = run_import(args.kind, Path(args.path).resolve(), Path(args.source).resolve(), options)
    except ImportFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERRORS
    for line in report.summary_lines():
        print(line)
    if args.dry_run:
        print("Dry run: nothing was written.")
    return EXIT_OK


def main(argv: Sequence[str] | None = None, ends_process: bool = False) -> int:
    """Run the command line; return the exit code. ``ends_process``: the process ends right after
    (see :func:`run`), so a build need not leave the garbage collector as it found it."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "build")  # `broadsheet` alone, or with build flags, means build
    args = _parser().parse_args(argv)
    try:
        if args.command == "init":
            return _run_init(args)
        if args.command not in ("serve", "import"):  # serve warns about --host first; import makes the site
            check_site_folder(args.source)
        if args.command == "new":
            return _run_new(args)
        if args.command == "serve":
            return _run_serve(args)
        if args.command == "related":
            return _run_related(args)
        if args.command == "schedule":
            return _run_schedule(args)
        if args.command == "import":
            return _run_import(args)
        return _run_build(args, ends_process)
    except UsageError as exc:
        print(f"error: {exc.format()}", file=sys.stderr)
        return EXIT_USAGE
    except BroadsheetError as exc:
        print(exc.format(), file=sys.stderr)
        return EXIT_ERRORS
    except KeyboardInterrupt:
        print("Interrupted; the previous output is left as it was.", file=sys.stderr)
        return 130


def run() -> NoReturn:
    """The command line as a program: run :func:`main`, then end the process at once.

    Everything is written, flushed and closed when main returns; what is left is freeing the
    loaded site object by object (hundreds of megabytes on a large site), a tenth of a second
    and more of a rebuild for nothing: the operating system takes the memory back whole.
    """
    code = main(ends_process=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
