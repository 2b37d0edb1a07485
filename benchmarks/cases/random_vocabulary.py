"""What a random pipeline is named and sized from: node counts, metric names, the logged key and
time columns, and the vocabulary of sources, infra services and labels (``random_family``)."""

from __future__ import annotations

MIN_NODES, MAX_NODES = 6, 40
CLASSIFICATION_METRICS = ("recall", "precision", "accuracy", "f1", "roc_auc", "log_loss")
REGRESSION_METRICS = ("mae", "rmse")
MISSING = "__missing__"
TIME = "event_time"
KEY = "event_id"

# --------------------------------------------------------------------------- vocabulary

#: (name, kind) of numeric sources; the kind fits the name.
NUMERIC_SOURCES: tuple[tuple[str, str], ...] = (
    ("amount", "lognormal"), ("balance", "lognormal"), ("tenure_days", "lognormal"),
    ("age", "gaussian"), ("income", "lognormal"), ("session_seconds", "lognormal"),
    ("num_items", "count"), ("basket_value", "lognormal"), ("distance_km", "lognormal"),
    ("logins_24h", "count"), ("page_views", "count"), ("credit_limit", "lognormal"),
    ("utilisation_pct", "bounded"), ("days_since_order", "lognormal"), ("latency_ms", "lognormal"),
    ("discount_pct", "bounded"), ("txn_count_24h", "count"), ("avg_rating", "gaussian"),
    ("support_tickets", "count"), ("price", "lognormal"), ("weight_kg", "lognormal"),
    ("clicks_7d", "count"), ("refunds_90d", "count"), ("screen_time_min", "lognormal"),
    ("temperature_c", "gaussian"), ("credit_score", "gaussian"), ("battery_pct", "bounded"),
    ("signal_dbm", "gaussian"), ("ticket_length", "count"), ("cpu_load_pct", "bounded"),
)

#: (name, vocabulary or None for integer codes) of categorical sources.
CATEGORICAL_SOURCES: tuple[tuple[str, tuple[str, ...] | None], ...] = (
    ("country", ("DE", "FR", "GB", "US", "ES", "IT", "NL", "PL", "BR", "IN", "JP", "SE")),
    ("device_type", ("ios", "android", "web", "tablet", "smart_tv", "desktop_app")),
    ("channel", ("organic", "paid_search", "social", "email", "affiliate", "direct", "display")),
    ("merchant_category", None),
    ("plan", ("free", "basic", "plus", "pro", "team", "enterprise")),
    ("payment_method", ("card", "paypal", "bank_transfer", "wallet", "bnpl", "gift_card")),
    ("region", ("north", "south", "east", "west", "central", "islands")),
    ("store_id", None),
    ("product_line", ("apparel", "electronics", "home", "beauty", "toys", "sports", "grocery", "books")),
    ("browser", ("chrome", "safari", "firefox", "edge", "samsung", "opera")),
    ("language", ("en", "de", "fr", "es", "it", "pt", "nl", "pl", "ja")),
    ("carrier", ("dhl", "ups", "fedex", "dpd", "gls", "postnl", "hermes")),
    ("postcode_area", None),
    ("account_type", ("personal", "business", "student", "joint", "minor")),
)

INFRA_NAMES = ("feature_store", "profile_service", "geo_lookup_api", "risk_cache", "enrichment_service")
CLASS_LABELS = ("is_fraud", "churned", "converted", "defaulted", "clicked", "returned", "is_spam")
REGRESSION_LABELS = ("delivery_minutes", "claim_cost", "spend_next_30d", "resolution_hours")
NONNEG_KINDS = ("lognormal", "count", "bounded")
