"""Other tools' shortcodes and template tags → Broadsheet's shortcodes.

Each converter maps what it knows (videos, figures, galleries, audio, social posts, code
highlighting, internal links) and reports everything else with ``file:line``. What it cannot map
becomes an HTML comment holding the original, so nothing is lost, nothing shows as stray text,
and the site still builds; the report lists each one to fix by hand.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .common import ImportReport

#: Resolves another tool's internal reference (a file name, a post name) to a new site path, or None.
Resolver = Callable[[str], "str | None"]


def quote_arg(value: str) -> str:
    """A shortcode argument value, quoted for Broadsheet's syntax."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def shortcode(name: str, *positional: str, **named: str | None) -> str:
    """Broadsheet's ``{{< name ... >}}`` with the arguments quoted; empty named values left out."""
    parts = [name, *(quote_arg(p) for p in positional)]
    parts += [f"{k}={quote_arg(v)}" for k, v in named.items() if v]
    return "{{< " + " ".join(parts) + " >}}"


def unconverted(original: str) -> str:
    """An HTML comment keeping something that could not be converted (``--`` made safe for a comment)."""
    # A Hugo tag is written in Broadsheet's escaped form, which the build leaves as text.
    original = re.sub(r"\{\{<(?!/\*)(.*?)>\}\}", r"{{</*\1*/>}}", original, flags=re.S)
    return "<!-- not converted: " + original.replace("--", "- -") + " -->"


def line_at(text: str, pos: int, first_line: int) -> int:
    """The file line of ``text[pos]`` when ``text`` starts on ``first_line``."""
    return first_line + text.count("\n", 0, pos)


def video(kind: str, value: str, title: str | None = None) -> str | None:
    """Broadsheet's youtube or vimeo shortcode for a video id; a playlist as a link; None for anything else."""
    value = html.unescape(value).strip()
    if kind == "youtube" and re.fullmatch(r"[\w-]{1,64}", value):
        return shortcode("youtube", value, title=title)
    if kind == "vimeo" and value.isdigit():
        return shortcode("vimeo", value, title=title)
    playlist = re.search(r"list=([\w-]+)", value)
    if kind == "youtube" and playlist:
        return f"[YouTube playlist](https://www.youtube.com/playlist?list={playlist.group(1)})"
    return None


def embed_for_url(url: str) -> str | None:
    """A Broadsheet shortcode for a bare media URL (YouTube, Vimeo, social posts), or None."""
    url = html.unescape(url.strip())
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.").removeprefix("m.")
    if host in ("youtube.com", "youtube-nocookie.com") and parts.path == "/watch":
        video = parse_qs(parts.query).get("v", [""])[0]
        return shortcode("youtube", video) if re.fullmatch(r"[\w-]{1,64}", video) else None
    if host in ("youtube.com", "youtube-nocookie.com") and re.match(r"^/(embed|shorts|live)/[\w-]+", parts.path):
        return shortcode("youtube", parts.path.split("/")[2])
    if host == "youtu.be" and re.fullmatch(r"/[\w-]+", parts.path):
        return shortcode("youtube", parts.path[1:])
    if host in ("vimeo.com", "player.vimeo.com"):
        m = re.search(r"/(\d+)(?:/|$)", parts.path)
        return shortcode("vimeo", m.group(1)) if m else None
    if host in ("twitter.com", "x.com") and "/status/" in parts.path:
        return shortcode("social", url=url)
    if host in ("instagram.com", "bsky.app", "threads.net", "facebook.com") or re.match(r"^/@[\w.]+/\d+", parts.path):
        return shortcode("social", url=url)
    return None


# ------------------------------------------------------------------ Hugo

_HUGO = re.compile(
    r"\{\{(?P<d>[<%])(?P<esc>/\*)?\s*(?P<close>/)?(?P<name>[\w./-]+)(?P<args>.*?)\s*(?(esc)\*/)(?P=d)?[>%]\}\}", re.S
)
_HUGO_ARG = re.compile(r'\s*(?:([\w-]+)\s*=\s*)?(?:"((?:[^"\\]|\\.)*)"|`([^`]*)`|([^\s"`]+))', re.S)


def _hugo_args(text: str) -> tuple[list[str], dict[str, str]]:
    args: list[str] = []
    named: dict[str, str] = {}
    for m in _HUGO_ARG.finditer(text):
        value = m.group(2) if m.group(2) is not None else m.group(3) if m.group(3) is not None else m.group(4) or ""
        value = re.sub(r'\\(["\\])', r"\1", value)
        if m.group(1):
            named[m.group(1)] = value
        else:
            args.append(value)
    return args, named


def _zola_links(body: str, origin: str, first_line: int, report: ImportReport, resolve: Resolver) -> str:
    """Zola's internal links ``[text](@/section/page.md#anchor)`` → the new addresses."""

    def swap(m: re.Match[str]) -> str:
        url = resolve(m.group(1))
        if url is None:
            line = line_at(body, m.start(), first_line)
            report.warn(f"{origin}:{line}", f"link to @/{m.group(1)} names no imported page: left as it was")
            return m.group(0)
        return "](" + url + (m.group(2) or "")

    return re.sub(r"\]\(@/([^)#\s]+)(#[^)\s]*)?", swap, body)


def convert_hugo(body: str, origin: str, first_line: int, report: ImportReport, resolve: Resolver) -> str:
    """Hugo's ``{{< >}}`` and ``{{% %}}`` shortcodes → Broadsheet's; the rest reported and kept in comments."""
    if "](@/" in body:
        body = _zola_links(body, origin, first_line, report, resolve)
    if "{{<" not in body and "{{%" not in body:
        return body
    out: list[str] = []
    pos = 0
    for m in _HUGO.finditer(body):
        out.append(body[pos : m.start()])
        pos = m.end()
        whole = m.group(0)
        if m.group("esc"):
            out.append("{{</*" + whole[5:-5] + "*/>}}")  # Broadsheet escapes the same way
            continue
        name = m.group("name")
        args, named = _hugo_args(m.group("args"))
        line = line_at(body, m.start(), first_line)
        first = args[0] if args else ""
        if m.group("close"):
            if name in ("highlight", "code"):
                out.append("```")
            elif name in ("gallery", "pullquote", "figure"):
                out.append(whole.replace("{{%", "{{<").replace("%}}", ">}}"))
            else:
                out.append(unconverted(whole))
            continue
        if name == "youtube" and (named.get("id") or first):
            out.append(video("youtube", named.get("id") or first, named.get("title")) or unconverted(whole))
        elif name == "vimeo" and (named.get("id") or first):
            out.append(video("vimeo", named.get("id") or first, named.get("title")) or unconverted(whole))
        elif name == "figure" and named.get("src"):
            out.append(
                shortcode(
                    "figure",
                    src=named["src"],
                    alt=named.get("alt") or named.get("title", ""),
                    caption=named.get("caption") or named.get("title"),
                    credit=named.get("attr"),
                    link=named.get("link"),
                    width=named.get("width"),
                    height=named.get("height"),
                )
            )
        elif name in ("tweet", "twitter", "x") and (named.get("id") or first):
            user = named.get("user") or (args[0] if len(args) > 1 else "i")
            status = named.get("id") or (args[1] if len(args) > 1 else first)
            out.append(shortcode("social", url=f"https://x.com/{user}/status/{status}"))
        elif name == "instagram" and (named.get("id") or first):
            out.append(shortcode("social", url=f"https://www.instagram.com/p/{named.get('id') or first}/"))
        elif name == "gist" and len(args) >= 2:
            out.append(f"[Gist {args[0]}/{args[1]}](https://gist.github.com/{args[0]}/{args[1]})")
        elif name in ("highlight", "code"):
            out.append("```" + (first or named.get("lang", "")))
        elif name in ("ref", "relref") and (first or named.get("path")):
            target = first or named.get("path", "")
            url = resolve(target)
            if url is None:
                report.warn(f"{origin}:{line}", f"{{{{< {name} {target} >}}}} names no imported page: left as '#'")
            out.append(url or "#")
        elif name in ("pullquote", "gallery", "audio", "video", "social"):
            out.append(whole.replace("{{%", "{{<").replace("%}}", ">}}"))  # the same names exist here
        else:
            report.warn(
                f"{origin}:{line}",
                f"Hugo shortcode '{name}' has no Broadsheet equivalent: kept as a comment "
                f"(to keep it, write shortcodes/{name}.html as a Jinja macro and restore {{{{< {name} >}}}})",
            )
            out.append(unconverted(whole))
    out.append(body[pos:])
    return "".join(out)


# ------------------------------------------------------------------ Jekyll (Liquid)

_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.S)
_LIQUID = re.compile(r"\{%-?\s*(?P<name>\w+)(?P<args>.*?)-?%\}|\{\{-?(?P<expr>.*?)-?\}\}", re.S)


def _liquid_args(text: str) -> tuple[list[str], dict[str, str]]:
    args: list[str] = []
    named: dict[str, str] = {}
    # key="value", key=value, and the key:"value" of some plugins (jekyll-figure).
    pattern = r"""([\w-]+)(?:\s*=\s*|:(?=["']))(?:"([^"]*)"|'([^']*)'|(\S+))|"([^"]*)"|'([^']*)'|(\S+)"""
    for m in re.finditer(pattern, text):
        if m.group(1):
            named[m.group(1)] = next(g for g in (m.group(2), m.group(3), m.group(4)) if g is not None)
        else:
            args.append(next(g for g in (m.group(5), m.group(6), m.group(7)) if g is not None))
    return args, named


def _liquid_output(expr: str, resolve: Resolver) -> str | None:
    """A Liquid ``{{ ... }}`` expression that only builds a site path, as that path; None otherwise."""
    expr = expr.strip()
    if re.fullmatch(r"site\.(url|baseurl|base_url)", expr):
        return ""
    m = re.fullmatch(r"""(["'])(.*?)\1\s*\|\s*(relative_url|absolute_url|prepend:\s*site\.baseurl)""", expr)
    if m:
        return m.group(2)
    m = re.fullmatch(r"""site\.(baseurl|url)\s*\|\s*append:\s*(["'])(.*?)\2""", expr)
    if m:
        return m.group(3)
    return None


def convert_liquid(
    body: str,
    origin: str,
    first_line: int,
    report: ImportReport,
    resolve: Resolver,
    includes_dir: Path | None = None,
    depth: int = 0,
) -> str:
    """Jekyll's Liquid tags → Broadsheet: code highlighting, videos, figures, post links; the rest reported.

    An include without parameters whose file is in ``includes_dir`` (boilerplate text) is
    written out in place, its own tags converted in turn.
    """
    if "{%" not in body and "{{" not in body:
        return body
    raws: list[str] = []

    def keep_raw(m: re.Match[str]) -> str:
        raws.append(m.group(1))
        return f"\x00RAW{len(raws) - 1}\x00"

    text = _RAW.sub(keep_raw, body)
    out: list[str] = []
    pos = 0
    skip_until: str | None = None
    for m in _LIQUID.finditer(text):
        line = line_at(text, m.start(), first_line)
        if skip_until is not None:  # inside {% comment %}: dropped with it
            if m.group("name") == skip_until:
                skip_until = None
                pos = m.end()
            continue
        if m.start() < pos:  # inside a block converted whole (figure, notice)
            continue
        out.append(text[pos : m.start()])
        pos = m.end()
        whole = m.group(0)
        if m.group("expr") is not None:
            path = _liquid_output(m.group("expr"), resolve)
            if path is None:
                report.warn(f"{origin}:{line}", f"Liquid output {whole.strip()} cannot be evaluated: kept as a comment")
                out.append(unconverted(whole))
            else:
                out.append(path)
            continue
        name = m.group("name")
        args, named = _liquid_args(m.group("args"))
        first = args[0] if args else ""
        if name == "highlight":
            out.append("```" + first)
        elif name == "endhighlight":
            out.append("```")
        elif name == "comment":
            skip_until = "endcomment"
        elif name in ("post_url", "link"):
            url = resolve(first)
            if url is None:
                report.warn(f"{origin}:{line}", f"{{% {name} {first} %}} names no imported post: left as '#'")
            out.append(url or "#")
        elif name in ("youtube", "vimeo") and first:
            converted = embed_for_url(first) if "/" in first else video(name, first)
            out.append(converted or unconverted(whole))
        elif name in ("tweet", "twitter", "instagram") and first.startswith("http"):
            out.append(shortcode("social", url=first))
        elif name in ("figure", "notice") and (close := _block_end(text, name, m.end())) is not None:
            inner = text[m.end() : close.start()]
            pos = close.end()
            inner_line = line_at(text, m.end(), first_line)
            inner = convert_liquid(inner, origin, inner_line, report, resolve, includes_dir, depth + 1)
            converted = _liquid_block(name, inner, named)
            if converted is None:
                report.warn(f"{origin}:{line}", f"Liquid block '{name}' could not be converted: kept as a comment")
                converted = unconverted(whole) + inner + unconverted(close.group(0))
            out.append(converted)
        elif name in ("include", "include_cached") and first:
            converted = _liquid_include(first, args[1:], named)
            included = includes_dir / first if includes_dir is not None and ".." not in first else None
            if converted is None and not named and included is not None and included.is_file() and depth < 3:
                try:
                    text_in = included.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    text_in = None
                if text_in is not None:
                    shown = f"_includes/{first}"
                    converted = convert_liquid(text_in, shown, 1, report, resolve, includes_dir, depth + 1).strip("\n")
            if converted is None:
                report.warn(
                    f"{origin}:{line}", f"Liquid include '{first}' has no Broadsheet equivalent: kept as a comment"
                )
                out.append(unconverted(whole))
            else:
                out.append(converted)
        else:
            report.warn(f"{origin}:{line}", f"Liquid tag '{name}' has no Broadsheet equivalent: kept as a comment")
            out.append(unconverted(whole))
    out.append(text[pos:])
    result = "".join(out)
    return re.sub("\x00RAW(\\d+)\x00", lambda m: raws[int(m.group(1))], result)


def _block_end(text: str, name: str, start: int) -> re.Match[str] | None:
    """The ``{% endNAME %}`` closing a Liquid block opened before ``start``."""
    return re.compile(r"\{%-?\s*end" + name + r"\s*-?%\}").search(text, start)


def _liquid_block(name: str, inner: str, named: dict[str, str]) -> str | None:
    """Block tags of common Jekyll plugins and themes: ``{% figure caption:"..." %}`` and ``{% notice %}``."""
    if name == "notice":
        # Python-Markdown's md_in_html (in extra) reads Markdown inside a block marked markdown="1".
        return f'<div class="notice" markdown="1">\n\n{inner.strip()}\n\n</div>'
    caption = named.get("caption", "")
    images = re.findall(r"!\[([^\]]*)\]\(([^)\s]+)[^)]*\)", inner)
    if len(images) == 1:
        alt, src = images[0]
        return shortcode("figure", src=src, alt=alt, caption=caption, **{"class": named.get("class")})
    if len(images) > 1:
        return shortcode("gallery", caption=caption) + "\n" + inner.strip() + "\n{{< /gallery >}}"
    if not inner.strip():
        return None
    # Anything else (an embed, HTML): kept inside a figure with its caption.
    figcaption = f"<figcaption>{html.escape(caption)}</figcaption>\n" if caption else ""
    return f'<figure class="figure" markdown="1">\n\n{inner.strip()}\n\n{figcaption}</figure>'


def _liquid_include(name: str, args: list[str], named: dict[str, str]) -> str | None:
    """Common theme includes (Minimal Mistakes and friends) as Broadsheet shortcodes."""
    stem = name.rsplit("/", 1)[-1].removesuffix(".html")
    video_id = named.get("id") or named.get("video_id") or named.get("youtube_id")
    if stem in ("youtube", "youtubePlayer", "youtube-player") and video_id:
        return video("youtube", video_id)
    if stem == "vimeo" and video_id:
        return video("vimeo", video_id)
    if stem == "video" and video_id:
        provider = named.get("provider", "youtube")
        return video(provider, video_id) if provider in ("youtube", "vimeo") else None
    if stem in ("figure", "image", "img") and (named.get("image_path") or named.get("src") or named.get("url")):
        return shortcode(
            "figure",
            src=named.get("image_path") or named.get("src") or named.get("url"),
            alt=named.get("alt", ""),
            caption=named.get("caption"),
        )
    if stem == "gallery":
        return None
    return None


# ------------------------------------------------------------------ WordPress

_WP = re.compile(r"\[(?P<close>/)?(?P<name>[a-z][a-z0-9_-]*)(?P<args>(?:\s[^\]]*)?)\]")
_WP_KNOWN = ("caption", "wp_caption", "embed", "gallery", "audio", "video", "youtube", "vimeo", "tweet")
_WP_KNOWN_IGNORED = ("contact-form-7", "contact-form", "playlist", "wpforms", "ninja_form", "shortcode")


def _wp_args(text: str) -> tuple[list[str], dict[str, str]]:
    args: list[str] = []
    named: dict[str, str] = {}
    for m in re.finditer(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))|"([^"]*)"|(\S+)""", html.unescape(text)):
        if m.group(1):
            named[m.group(1).lower()] = next(g for g in (m.group(2), m.group(3), m.group(4)) if g is not None)
        else:
            args.append(m.group(5) if m.group(5) is not None else m.group(6))
    return args, named


def _attr(tag: str, name: str) -> str:
    m = re.search(rf"""\s{name}\s*=\s*(?:"([^"]*)"|'([^']*)')""", tag, re.I)
    return html.unescape(m.group(1) if m and m.group(1) is not None else (m.group(2) if m else "") or "")


def convert_wordpress(
    body: str,
    origin: str,
    first_line: int,
    report: ImportReport,
    attachments: Callable[[str], tuple[str, str, str] | None],
    children: Callable[[], list[str]],
) -> str:
    """WordPress shortcodes → Broadsheet's: caption, embed, gallery, audio, video, youtube, vimeo; the rest reported.

    ``attachments(id)`` gives an attachment's (url, alt, caption); ``children()`` the ids of the
    images attached to the post (a gallery without ``ids``).
    """
    if "[" not in body and "http" not in body:
        return body
    out: list[str] = []
    pos = 0
    for m in _WP.finditer(body):
        name = m.group("name")
        whole_tag = m.group(0)
        if m.start() < pos:
            continue
        closing = re.compile(r"\[/" + re.escape(name) + r"\]")
        paired = closing.search(body, m.end()) if not m.group("close") else None
        # WordPress treats only registered names as shortcodes: without a closing tag or an
        # attribute, "[sic]" or "[Updated]" is text.
        known = name in _WP_KNOWN or name in _WP_KNOWN_IGNORED
        if not known and paired is None and "=" not in m.group("args"):
            continue
        out.append(body[pos : m.start()])
        line = line_at(body, m.start(), first_line)
        args, named = _wp_args(m.group("args"))
        inner = body[m.end() : paired.start()] if paired else ""
        pos = paired.end() if paired else m.end()
        if m.group("close"):
            report.warn(f"{origin}:{line}", f"closing [/{name}] without an opening one: kept as a comment")
            out.append(unconverted(whole_tag))
            continue
        converted: str | None = None
        if name in ("caption", "wp_caption"):
            img = re.search(r"<img\b[^>]*>", inner, re.I)
            if img:
                link = re.search(r"<a\b[^>]*>\s*" + re.escape(img.group(0)) + r"\s*</a>", inner, re.I)
                rest = inner.replace(link.group(0) if link else img.group(0), "", 1).strip()
                caption = named.get("caption") or rest
                tag = shortcode(
                    "figure",
                    src=_attr(img.group(0), "src"),
                    alt=_attr(img.group(0), "alt"),
                    link=_attr(link.group(0), "href") if link else None,
                    width=_attr(img.group(0), "width") or named.get("width"),
                    height=_attr(img.group(0), "height"),
                )
                # The caption may hold links: it goes inside, where it is read as Markdown and HTML.
                converted = tag + caption + "{{< /figure >}}" if caption else tag
        elif name == "embed":
            url = (inner or named.get("src", "")).strip()
            converted = embed_for_url(url) or (
                f'<p><a href="{html.escape(url)}">{html.escape(url)}</a></p>' if url else None
            )
        elif name in ("youtube", "vimeo"):
            value = (args[0] if args else inner or named.get("id", "")).lstrip("=").strip()
            converted = embed_for_url(value) if "/" in value else video(name, value) if value else None
        elif name == "tweet":
            value = (args[0] if args else inner or named.get("url", "")).strip()
            converted = embed_for_url(value) if value.startswith("http") else None
        elif name == "audio":
            src = named.get("src") or next((named[k] for k in ("mp3", "m4a", "ogg", "wav") if k in named), "")
            src = src or next((a for a in args if a.startswith(("http://", "https://", "/"))), "")
            converted = shortcode("audio", src=src) if src else None
        elif name == "video":
            src = named.get("src") or next(
                (named[k] for k in ("mp4", "m4v", "webm", "ogv", "wmv", "flv") if k in named), ""
            )
            src = src or next((a for a in args if a.startswith(("http://", "https://", "/"))), "")
            if src:
                converted = shortcode("video", src=src, poster=named.get("poster"))
            elif inner.strip().startswith("http"):
                converted = embed_for_url(inner)
        elif name == "gallery":
            ids = [i.strip() for i in named.get("ids", named.get("include", "")).split(",") if i.strip()] or children()
            images = []
            for attachment_id in ids:
                found = attachments(attachment_id)
                if found is None:
                    report.warn(f"{origin}:{line}", f"gallery image {attachment_id} is not in the export: left out")
                    continue
                url, alt, _caption = found
                images.append(f"![{alt.replace(']', '')}]({url})")
            if images:
                columns = named.get("columns", "3")
                converted = (
                    shortcode("gallery", columns=columns if columns.isdigit() else "3")
                    + "\n"
                    + "\n".join(images)
                    + "\n{{< /gallery >}}"
                )
        if converted is None:
            report.warn(
                f"{origin}:{line}", f"WordPress shortcode [{name}] has no Broadsheet equivalent: kept as a comment"
            )
            original = body[m.start() : pos]
            converted = unconverted(whole_tag) + (inner + unconverted(f"[/{name}]") if paired else "")
            del original
        out.append(converted)
    out.append(body[pos:])
    text = "".join(out)
    # WordPress turns a URL alone on its line into an embed (oEmbed): do the same for the media we know.
    return re.sub(
        r"(?m)^[ \t]*(https?://[^\s<>\"]+)[ \t]*$",
        lambda m: embed_for_url(m.group(1)) or m.group(0),
        text,
    )
