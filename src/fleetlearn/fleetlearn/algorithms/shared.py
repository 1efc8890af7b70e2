"""Options that several algorithms read: declared once, so each has one type, default and description."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Option, Params

if TYPE_CHECKING:
    from ..compress import FlatLayout

KEEP_RATIO = Option("keep_ratio", float, 0.01, "fraction of entries a sparsifier keeps: every step with k_controller "
                    "fixed, on average with norm and rd (a step may send more, up to 4x banked for norm); the link's "
                    "cap bounds every step",
                    valid=lambda v: 0 < v <= 1, problem="must be in (0, 1]")
ERROR_FEEDBACK = Option("error_feedback", bool, True, "keep what compression dropped and add it to the next update")
TRAIN_WITH_MEMORY = Option("train_with_memory", bool | None, None,
                           "update delta with error feedback: each robot takes its local steps from the model plus "
                           "its memory (where it would be had it sent everything) instead of from the model every "
                           "node holds; unset: on with local_steps 1, where classic error feedback lost to none, "
                           "off otherwise (keep 0.1 %: the robots' own models drift apart and their sparse average "
                           "stops working; README Compressed training)")
K_CONTROLLER = Option("k_controller", str, "fixed",
                      "how K is chosen each step: fixed, norm (norm-proportional) or rd (rate-distortion)",
                      choices=("fixed", "norm", "rd"))
SCOPE = Option("scope", str, "global", "Top-K over the whole model (global) or per layer (layer)",
               choices=("global", "layer"))
WEIGHT_BY_BATCH = Option("weight_by_batch", bool, False, "mean aggregation: weight each robot's update by its "
                         "batch size (the samples behind it)")
QUANT_LEVELS = Option("qsgd_levels", int, 16, "quantisation levels s of qsgd and of Malcom-PSGD's dither",
                      valid=lambda v: v >= 1, problem="must be >= 1")
QUANT_BUCKET = Option("quant_bucket", int, 512, "quantisers: entries that share one norm (bucket size)",
                      valid=lambda v: v >= 1, problem="must be >= 1")
SIGN_TIES = Option("sign_ties", str, "random", "signSGD: a zero gradient entry is sent as a fair coin (random) "
                   "or as +1 (plus)", choices=("random", "plus"))
SIGNUM_MOMENTUM = Option("signum_momentum", float, 0.0, "signSGD: momentum before the sign (Signum); 0: plain "
                         "signSGD", valid=lambda v: 0 <= v < 1, problem="must be in [0, 1)")
GAMMA = Option("gamma", float, 0.5, "gossip consensus step size (fleetlearn gossip-gamma picks CHOCO's)",
               valid=lambda v: v > 0, problem="must be > 0")

# The options of a compressor with error feedback, and of a sparsifier that also has a K controller.
FEEDBACK = (ERROR_FEEDBACK, TRAIN_WITH_MEMORY)
SPARSIFIER = (*FEEDBACK, K_CONTROLLER, WEIGHT_BY_BATCH)


def topk_params(a: Any, layout: FlatLayout | None) -> Params:
    """Top-K's arguments (robots' updates, gossip residuals). ``scope: layer`` needs the model's layout;
    without one (γ simulated on random vectors) Top-K is global."""
    return {"keep_ratio": a.keep_ratio, "value_type": a.value_dtype, "layout": layout,
            "scope": a.scope if layout is not None else "global"}
