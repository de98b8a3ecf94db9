"""Sites whose registrable domain says nothing about which company a lead works for.

Web forms often get a social profile or a link shortener in the "website" box. Taking
"linkedin.com" as the company domain would merge every such lead into one company, so these are
skipped and the domain comes from the business email instead. Hosting platforms that give each
customer a subdomain (github.io, wixsite.com, herokuapp.com) need no entry: they are private
suffixes in the Public Suffix List, so "acme.github.io" already stays whole.
"""

from __future__ import annotations

# fmt: off
SHARED_SITE_DOMAINS: frozenset[str] = frozenset(
    {
        "linkedin.com", "xing.com", "facebook.com", "fb.com", "instagram.com", "twitter.com",
        "x.com", "youtube.com", "youtu.be", "tiktok.com", "pinterest.com", "threads.net",
        "t.me", "wa.me", "whatsapp.com", "goo.gl", "bit.ly", "tinyurl.com",
        "linktr.ee", "yelp.com", "tripadvisor.com", "ebay.com", "etsy.com",
        "wikipedia.org", "crunchbase.com", "glassdoor.com", "kununu.com", "medium.com",
    }
)
# fmt: on
