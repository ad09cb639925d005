"""The one HTML page every report is written into, and the small pieces both reports share.

A report is opened from disk, offline, maybe years later, and shows text written by strangers. So
the page is self-contained (inline CSS, system fonts, no script, image or remote stylesheet), its
Content-Security-Policy forbids loading anything at all, every piece of text goes through
`html.escape`, and the only links are plain links to the original posts on their platforms.
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from urllib.parse import urlsplit

# Nothing may load: no script, image, font, frame or remote style; inline CSS only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)

CSS = """
:root { color-scheme: light; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color: #1f2328; background: #fff; margin: 0 auto; max-width: 52rem; padding: 1.5rem; }
h1 { font-size: 1.8rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.35rem; margin-top: 2.2rem; border-bottom: 2px solid #d0d7de; }
h3 { font-size: 1.05rem; margin: 0.2rem 0; }
.lede, .meta, .note { color: #57606a; }
.meta { font-size: 0.9rem; margin: 0; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { text-align: left; padding: 0.3rem 0.8rem 0.3rem 0; border-bottom: 1px solid #d0d7de;
         vertical-align: top; }
td.number, th.number { text-align: right; }
.counts { display: flex; flex-wrap: wrap; gap: 0.5rem; padding: 0; list-style: none; }
.finding { border: 1px solid #d0d7de; border-left-width: 6px; border-radius: 6px;
           padding: 0.8rem 1rem; margin: 1rem 0; }
.finding.retired { opacity: 0.75; border-style: dashed; }
.post { background: #f6f8fa; border-radius: 4px; padding: 0.6rem 0.8rem; margin: 0.6rem 0;
        overflow-wrap: anywhere; }
mark { background: #fff3a3; color: inherit; padding: 0 0.1rem; border-bottom: 2px solid #d4a72c; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0.5rem 0; }
dt { font-weight: 600; }
dd { margin: 0; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.9em;
       background: #f6f8fa; padding: 0 0.2rem; overflow-wrap: anywhere; }
.badge { display: inline-block; font-size: 0.8rem; font-weight: 600; border-radius: 999px;
         padding: 0.05rem 0.6rem; background: #eaeef2; color: #1f2328; }
.badge.sev-critical { background: #6e1b1b; color: #fff; }
.badge.sev-high { background: #c62828; color: #fff; }
.badge.sev-medium { background: #e08a00; color: #1f2328; }
.badge.sev-low { background: #d0e3ff; color: #0a3069; }
.finding.sev-critical { border-left-color: #6e1b1b; }
.finding.sev-high { border-left-color: #c62828; }
.finding.sev-medium { border-left-color: #e08a00; }
.finding.sev-low { border-left-color: #6e9fe0; }
details { margin: 0.3rem 0; }
@media print {
  body { max-width: none; padding: 0; }
  .finding { break-inside: avoid; }
  a::after { content: " (" attr(href) ")"; font-size: 0.8em; color: #57606a; }
}
"""

PLATFORM_NAMES = {
    "twitter": "X (Twitter)",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "threads": "Threads",
    "tiktok": "TikTok",
    "linkedin": "LinkedIn",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "reddit": "Reddit",
    "generic": "Other",
}


def html_page(title: str, body: str) -> str:
    """A complete HTML document; `title` is plain text, `body` is HTML built with `escape`."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def web_address(url: str | None) -> str | None:
    """The URL when it is a plain http(s) address with a host, else None: never `javascript:`,
    `data:`, a relative path, or anything hiding whitespace or control characters."""
    if not url or any(char.isspace() or ord(char) < 32 for char in url):
        return None
    parts = urlsplit(url)
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def post_link(url: str | None, label: str = "Open the original post") -> str:
    """A plain link to a post on its platform, or a note when there is no web address."""
    address = web_address(url)
    if address is None:
        return '<span class="note">The export gives no web address for this post.</span>'
    return f'<a href="{escape(address)}" rel="noopener noreferrer">{escape(label)}</a>'


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform)


def severity_badge(severity: str) -> str:
    label = escape(severity)
    return f'<span class="badge sev-{label}">{label.capitalize()}</span>'


def counted(count: int, noun: str) -> str:
    """e.g. '1 finding', '3 findings'."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def long_date(moment: date | datetime) -> str:
    """e.g. '3 March 2024': no locale, no ambiguity between day and month."""
    return f"{moment.day} {moment:%B %Y}"
