"""Security headers for what the assistant serves to browsers.

- Every response: ``X-Content-Type-Options: nosniff`` (a JSON error is never run as a
  script) and ``Referrer-Policy``.
- HTML pages (the widget's demo; the staff console can use ``page_headers`` too): a
  Content-Security-Policy that allows the page's own origin and the exact inline scripts
  and styles it contains (by SHA-256 hash, computed from the page as served), nothing
  from other sites, and no framing (``frame-ancestors 'none'``), so no site can put the
  page in a frame and trick a visitor into clicking it.

HTTPS-only headers (Strict-Transport-Security) belong to the TLS proxy: deploy/.
"""
import base64
import hashlib
import re

COMMON = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin-when-cross-origin"}
INLINE = {
    "script": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.S | re.I),
    "style": re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.S | re.I),
}


def inline_hashes(html: str, tag: str) -> list[str]:
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"
        for body in INLINE[tag].findall(html)
    ]


def content_security_policy(html: str) -> str:
    scripts = " ".join(["'self'", *inline_hashes(html, "script")])
    styles = " ".join(["'self'", *inline_hashes(html, "style")])
    return "; ".join([
        "default-src 'none'", f"script-src {scripts}", f"style-src {styles}", "img-src 'self' data:",
        "connect-src 'self'", "font-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ])


def page_headers(html: str) -> dict[str, str]:
    """The headers for an HTML page: CSP for exactly this page, no framing."""
    return {**COMMON, "Content-Security-Policy": content_security_policy(html), "X-Frame-Options": "DENY"}
