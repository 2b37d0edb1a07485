"""A diagnosis as one self-contained HTML page (no scripts, no network fetches)."""

from __future__ import annotations

from jinja2 import Environment

from causal_rca.diagnosis.model import Diagnosis

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>causal-rca: {{ d.target }}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem}
.sig{color:#b00020}.clear{color:#1b5e20}</style></head><body>
<h1>Why did {{ d.target }} change? <small>({{ d.graph }})</small></h1>
{% if d.description %}<p>{{ d.description }}</p>{% endif %}
<p><strong>{{ d.summary }}</strong></p>
<table><tr><th>window</th><th>value</th><th>95% CI</th><th>rows</th></tr>
<tr><td>reference</td><td>{{ "%.4g"|format(d.reference.value) }}</td><td>{{ "%.4g"|format(d.reference.ci[0]) }} – {{ "%.4g"|format(d.reference.ci[1]) }}</td><td>{{ d.reference.rows }}</td></tr>
<tr><td>current</td><td>{{ "%.4g"|format(d.current.value) }}</td><td>{{ "%.4g"|format(d.current.ci[0]) }} – {{ "%.4g"|format(d.current.ci[1]) }}</td><td>{{ d.current.rows }}</td></tr></table>
<p class="{{ 'sig' if d.significant else 'clear' }}">Change {{ "%+.4g"|format(d.change) }}: {{ "significant" if d.significant else "not significant" }}</p>
{% for c in d.causes %}<h2>{{ c.rank }}. {{ c.node }}: {{ c.failure_mode }} <small>score {{ "%.2f"|format(c.score) }}</small></h2>
<ol>{% for w in c.why %}<li>{{ w }}</li>{% endfor %}</ol>
<ul>{% for e in c.evidence %}<li><code>{{ e.test }}</code>: {{ e.detail }}</li>{% endfor %}</ul>
<p><em>Mitigation: {{ c.mitigation }}</em></p>{% endfor %}
{% if d.anomalies %}<h2>Anomalous signals</h2><table><tr><th>node</th><th>signal</th><th>detail</th></tr>
{% for a in d.anomalies %}<tr><td>{{ a.node }}</td><td>{{ a.signal }}</td><td>{{ a.detail }}</td></tr>{% endfor %}</table>{% endif %}
<h2>Checked and clear</h2><p>{{ d.checked_clear|join(", ") or "none" }}</p>
</body></html>
"""


def render_html(d: Diagnosis) -> str:
    env = Environment(autoescape=True)
    return env.from_string(_TEMPLATE).render(d=d)
