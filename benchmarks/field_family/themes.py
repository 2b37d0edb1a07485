"""Themes: the names and units a case's pipeline is dressed in (two per model kind).

Each theme names the same roles: a positive numeric source with units (``num``), an
integer count (``cnt``), a string category with one hard segment (``cat``, the last
category), a boolean (``flag``), an optional numeric field with a steady null share
(``opt``), two rolling aggregates served by a feature store (``agg``: 7-day mean of
log ``num``; ``agg2``: 7-day count), the label and two models reading shared features.
"""

THEMES = {
    "binary": [
        dict(
            name="card-fraud", entity="card_id", num="amount_usd", cnt="items_in_basket",
            cat="merchant_segment", cats=["grocery", "travel", "electronics", "fuel", "crypto_exchange"],
            flag="card_present", opt="issuer_score", opt_dist=(640.0, 85.0, 300.0, 850.0),
            agg="amount_7d_avg_log", agg2="txn_count_7d", label="is_fraud",
            model="fraud_model", model_col="fraud_score", model2="rules_model", model2_col="rules_score",
            store="feature_store", risk="risk_index", band="risk_band", num_mu=3.6,
            units=[(100.0, "amounts sent in cents instead of dollars"),
                   (0.001, "amounts sent in thousands of dollars")],
            opt_units=(0.01, "issuer score re-normalised to 0-8.5"),
        ),
        dict(
            name="account-churn", entity="account_id", num="session_seconds", cnt="logins_30d",
            cat="plan_tier", cats=["basic", "standard", "family", "business", "legacy_promo"],
            flag="has_autopay", opt="nps_score", opt_dist=(32.0, 22.0, -100.0, 100.0),
            agg="session_7d_avg_log", agg2="sessions_7d", label="churned",
            model="churn_model", model_col="churn_score", model2="retention_model",
            model2_col="retention_score", store="profile_service", risk="engagement_gap",
            band="engagement_band", num_mu=5.4,
            units=[(1000.0, "durations sent in milliseconds instead of seconds"),
                   (1 / 60.0, "durations sent in minutes instead of seconds")],
            opt_units=(0.01, "NPS re-normalised to -1..1"),
        ),
    ],
    "multiclass": [
        dict(
            name="ticket-routing", entity="ticket_id", num="message_chars", cnt="attachments",
            cat="channel", cats=["email", "chat", "phone", "web_form", "partner_api"],
            flag="is_premium", opt="prior_csat", opt_dist=(3.9, 0.8, 1.0, 5.0),
            agg="chars_7d_avg_log", agg2="tickets_7d", label="queue",
            classes=["billing", "technical", "account", "shipping", "other"],
            model="router_model", model_col="predicted_queue", prob_prefix="p_",
            model2="triage_model", model2_col="triage_queue", prob2_prefix="q_",
            store="crm_cache", risk="urgency_index", band="urgency_band", num_mu=5.8,
            units=[(0.001, "lengths sent in thousands of characters"),
                   (2.0, "lengths sent in UTF-16 bytes instead of characters")],
            opt_units=(20.0, "CSAT re-normalised to 0-100"),
        ),
        dict(
            name="parcel-service-level", entity="parcel_id", num="weight_g", cnt="n_parcels",
            cat="origin_hub", cats=["north", "south", "east", "west", "cross_border"],
            flag="is_fragile", opt="declared_value", opt_dist=(120.0, 45.0, 1.0, 400.0),
            agg="weight_7d_avg_log", agg2="shipments_7d", label="service_level",
            classes=["economy", "standard", "express", "freight", "same_day"],
            model="sla_model", model_col="predicted_level", prob_prefix="p_",
            model2="pricing_model", model2_col="pricing_level", prob2_prefix="q_",
            store="shipment_store", risk="handling_index", band="handling_band", num_mu=7.2,
            units=[(0.001, "weights sent in kilograms instead of grams"),
                   (0.035274, "weights sent in ounces instead of grams")],
            opt_units=(100.0, "declared value sent in cents"),
        ),
    ],
    "regression": [
        dict(
            name="delivery-eta", entity="order_id", num="distance_km", cnt="n_items",
            cat="city_zone", cats=["centre", "suburb", "campus", "industrial", "airport"],
            flag="is_raining", opt="courier_rating", opt_dist=(4.5, 0.35, 1.0, 5.0),
            agg="distance_7d_avg_log", agg2="orders_7d", label="delivery_minutes", y0=32.0,
            model="eta_model", model_col="eta_minutes", model2="eta_baseline",
            model2_col="eta_baseline_minutes", store="routing_service", risk="delay_index",
            band="delay_band", num_mu=1.3,
            units=[(1000.0, "distances sent in metres instead of kilometres"),
                   (0.621371, "distances sent in miles instead of kilometres")],
            opt_units=(20.0, "rating re-normalised to 0-100"),
        ),
        dict(
            name="claim-cost", entity="claim_id", num="repair_quote_eur", cnt="parts_count",
            cat="vehicle_class", cats=["compact", "sedan", "suv", "van", "classic"],
            flag="has_photos", opt="driver_age", opt_dist=(44.0, 13.0, 18.0, 90.0),
            agg="quote_7d_avg_log", agg2="claims_7d", label="settled_cost", y0=1800.0,
            model="cost_model", model_col="predicted_cost", model2="reserve_model",
            model2_col="reserve_estimate", store="claims_store", risk="severity_index",
            band="severity_band", num_mu=6.6,
            units=[(100.0, "quotes sent in cents instead of euros"),
                   (0.001, "quotes sent in thousands of euros")],
            opt_units=(12.0, "age sent in months instead of years"),
        ),
    ],
    "mean": [
        dict(
            name="credit-approvals", entity="application_id", num="requested_amount",
            cnt="open_accounts", cat="employment_type",
            cats=["salaried", "self_employed", "student", "retired", "gig_worker"],
            flag="has_guarantor", opt="bureau_score", opt_dist=(680.0, 70.0, 300.0, 850.0),
            agg="balance_7d_avg_log", agg2="inquiries_7d", label="defaulted",
            model="pd_model", model_col="pd_score", model2="fraud_screen", model2_col="screen_score",
            store="bureau_gateway", risk="stress_index", band="stress_band", profit="profit_eur",
            num_mu=8.0, margin=12.0, loss=45.0,
            units=[(100.0, "amounts sent in cents instead of euros"),
                   (0.001, "amounts sent in thousands of euros")],
            opt_units=(0.1, "bureau score re-normalised to 0-85"),
        ),
        dict(
            name="bnpl-checkout", entity="checkout_id", num="basket_value", cnt="basket_items",
            cat="merchant_vertical", cats=["fashion", "home", "beauty", "electronics", "ticketing"],
            flag="returning_customer", opt="customer_score", opt_dist=(55.0, 18.0, 0.0, 100.0),
            agg="basket_7d_avg_log", agg2="checkouts_7d", label="charged_off",
            model="credit_model", model_col="default_prob", model2="limit_model",
            model2_col="limit_score", store="risk_gateway", risk="exposure_index",
            band="exposure_band", profit="margin_eur", num_mu=4.4, margin=6.0, loss=30.0,
            units=[(100.0, "basket values sent in cents instead of euros"),
                   (0.001, "basket values sent in thousands of euros")],
            opt_units=(0.01, "customer score re-normalised to 0-1"),
        ),
    ],
}
