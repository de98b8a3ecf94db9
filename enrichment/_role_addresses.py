"""Local parts that name a function, not a person (info@, sales@, noreply@).

Kept as data because no maintained package ships such a list. A role address is still a valid
address, but it is not a person: sales must not treat info@acme.de as "the lead", and under GDPR a
role mailbox is read by whoever staffs it. Matching is on the whole local part (after dropping a
"+tag"), or on its first dot/dash/underscore-separated piece ("sales.emea", "info-de").
Words that are also common given names (e.g. "mark", "bill") are deliberately absent.
"""

from __future__ import annotations

# fmt: off
ROLE_LOCAL_PARTS: frozenset[str] = frozenset(
    {
        # general contact
        "info", "information", "infos", "contact", "contacts", "contactus", "hello", "hi", "hallo",
        "hola", "office", "mail", "email", "post", "welcome", "team", "all", "everyone", "general",
        "enquiries", "enquiry", "inquiries", "inquiry", "questions", "reception", "frontdesk",
        "kontakt", "anfrage", "anfragen", "zentrale", "buero", "bureau", "accueil", "contato",
        "contacto", "informacion", "informazioni", "ufficio", "kantoor",
        # sales, marketing, press
        "sales", "sale", "vertrieb", "verkauf", "ventas", "vendite", "ventes", "marketing", "promo",
        "press", "presse", "prensa", "media", "pr", "news", "newsletter", "partners", "partner",
        "business", "bizdev", "orders", "order", "bestellung", "shop", "store", "booking",
        "bookings", "reservations", "events",
        # support and service
        "support", "help", "helpdesk", "service", "services", "customerservice", "customercare",
        "care", "kundenservice", "kundendienst", "feedback", "tech", "techsupport", "it",
        # finance, admin, legal, hr
        "billing", "invoice", "invoices", "rechnung", "rechnungen", "accounting", "accounts",
        "buchhaltung", "finance", "finanzen", "payments", "purchasing", "procurement", "einkauf",
        "admin", "administrator", "administration", "verwaltung", "legal", "compliance", "privacy",
        "datenschutz", "dpo", "gdpr", "dsgvo", "hr", "jobs", "job", "careers", "career",
        "recruiting", "recruitment", "bewerbung", "bewerbungen", "karriere", "personal",
        "investors", "investor", "ir",
        # technical and automated mailboxes
        "noreply", "no-reply", "donotreply", "do-not-reply", "mailer-daemon", "postmaster",
        "hostmaster", "webmaster", "abuse", "security", "root", "system", "notifications",
        "alerts", "bounce", "bounces",
    }
)
# fmt: on
