""""How much would fixing X recover?" for any node the user names, with the real model.

``diagnose`` replays its own top causes; this asks the same question of any
node (or set of nodes), for a post-mortem that wants to compare fixes.

There is no ranked failure mode here to say which counterfactual is meant, so
the caller says it: ``how="rows"`` (the default) puts each current row back
as it was, the question for a broken pipeline (nulls, a rescaling, stale or
default values); ``how="population"`` reweights the current rows to the
node's reference distribution, the question for a new population (a new
market, a new category; ``model/reweight.py``). The diagnosis picks
``population`` for causes it classified ``distribution_shift`` or
``out_of_distribution``, ``rows`` for the rest.
"""

from __future__ import annotations

from causal_rca.errors import InputError
from causal_rca.metrics import estimate_metric, metric_frame
from causal_rca.model.inputs import model_inputs, model_node_of, scores_of
from causal_rca.model.replay import ReplayResult
from causal_rca.model.replay_context import ReplayContext
from causal_rca.model.replay_service import replayed_nodes
from causal_rca.model.reweight import How, counterfactual
from causal_rca.reference_fit import ReferenceFit, reference_sample
from causal_rca.windows.frames import node_sample, resolve_dtypes
from causal_rca.windows.tables import TableLike, Window, open_window



def what_if_windows(fit: ReferenceFit, nodes: tuple[str, ...], current: TableLike | Window,
                    how: How = "rows") -> ReplayResult:
    """The metric of the current window had ``nodes`` kept their reference behaviour (replayed with the artifact).

    ``how``: ``"rows"`` puts each row back as it was, ``"population"`` reweights the rows to the nodes'
    reference distribution (see the module docstring). An unobserved node (a service) stands for all
    the fields it feeds, put back together on the rows its calls failed. The reference, its metric
    and the model come from the fitted reference (``CausalRCA.fit``).
    """
    g, metric, spec, seed, sample_rows = fit.graph, fit.target.node, fit.target.spec, fit.seed, fit.sample_rows
    model_node = model_node_of(g, metric)
    if model_node is None:
        raise InputError(f"metric '{metric}' reads no model: there is nothing to replay")
    art = fit.artifact
    if art is None:
        raise InputError(f"model node '{model_node}' declares no artifact: there is no model to replay")
    ref_w = fit.window
    cur_w = current if isinstance(current, Window) else open_window(fit.backend, g, current, "current")
    dtypes = resolve_dtypes(g, ref_w)
    unknown = [n for n in nodes if n not in g.nodes]
    if unknown:
        raise InputError(f"cannot replay {', '.join(unknown)}: '{g.name}' has no such node")
    fields = tuple(dict.fromkeys(m for n in nodes for m in replayed_nodes(g, n, dtypes)))
    if not fields:
        raise InputError(f"cannot replay {', '.join(nodes)}: no observed node of '{g.name}' to put back")
    ref_s = reference_sample(fit, dtypes, numbers_as_text=True)[0]  # the fitted one when the types agree
    cur_s = node_sample(cur_w, g, dtypes, sample_rows, seed + 1)
    inputs = model_inputs(g, model_node)
    _prediction, label = g.metric_inputs(metric)
    ref_metric = estimate_metric(spec, metric_frame(spec, ref_s[model_node], ref_s[label]), seed)
    ctx = ReplayContext(g, spec, dtypes, ref_s, cur_s, model_node, label, inputs,
                        lambda frame: scores_of(art.score, g, inputs, frame), ref_metric.value, ref_metric.ci,
                        seed)
    return counterfactual(ctx, fields, how=how)
