"""Simple tech-stack hints from a page's markup: a small in-house rule set.

Wappalyzer-format fingerprints are GPL-3.0, so we keep our own: each rule is a substring or pattern that the
tool's own assets put into every page it serves.
"""

from __future__ import annotations

import re

TECH_RULES: dict[str, tuple[str, ...]] = {
    "WordPress": ("/wp-content/", "/wp-includes/", "wp-content/"),
    "Drupal": ("drupal.settings", "/sites/default/files/", "data-drupal-"),
    "Joomla": ("/media/jui/", "joomla!"),
    "TYPO3": ("typo3conf/", "typo3temp/"),
    "Shopify": ("cdn.shopify.com", "shopify.theme"),
    "Wix": ("static.wixstatic.com", "wix-code"),
    "Squarespace": ("static1.squarespace.com", "squarespace-cdn"),
    "Webflow": ("webflow.js", "data-wf-page"),
    "HubSpot": ("js.hs-scripts.com", "js.hsforms.net", "hs-analytics"),
    "Marketo": ("munchkin.marketo.net", "mktoforms"),
    "Salesforce Pardot": ("pi.pardot.com", "pardot.com/pd.js"),
    "Google Analytics": ("google-analytics.com/", "gtag('config'", 'gtag("config"', "googletagmanager.com/gtag"),
    "Google Tag Manager": ("googletagmanager.com/gtm.js", "googletagmanager.com/ns.html"),
    "Intercom": ("widget.intercom.io", "intercomsettings"),
    "Next.js": ("__next_data__", "/_next/static/"),
    "React": ("data-reactroot", "react-dom"),
    "jQuery": ("jquery.min.js", "jquery.js", "/jquery-"),
    "Bootstrap": ("bootstrap.min.css", "bootstrap.min.js"),
    "Cloudflare": ("cdnjs.cloudflare.com", "/cdn-cgi/"),
}
_GENERATOR = re.compile(r"^(wordpress|drupal|joomla|typo3|wix|squarespace|webflow|hugo|jekyll|ghost)", re.IGNORECASE)


def tech_hints(html: str, meta: dict[str, str]) -> list[str]:
    """Sorted tool names whose fingerprints appear in the page (case-insensitive)."""
    low = html[:2_000_000].lower()
    found = {name for name, marks in TECH_RULES.items() if any(m in low for m in marks)}
    generator = meta.get("generator", "")
    m = _GENERATOR.match(generator)
    if m:
        name = m.group(1)
        found.add({"wordpress": "WordPress", "typo3": "TYPO3"}.get(name.lower(), name.capitalize()))
    return sorted(found)
