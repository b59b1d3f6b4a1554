"""Every rule (stance and works families), in one list: `blueprint check` and the generated CrossGuard pack both run exactly these."""

from __future__ import annotations

from ..base import Rule
from . import audit, budgets, cluster, curation, governance, identity, images, network, packages, storage, teams, workbench
from . import works_ci, works_cluster, works_crosscut, works_images, works_ingress, works_network, works_packages, works_sessions, works_tls

RULES: tuple[Rule, ...] = (
    *network.RULES,
    *images.RULES,
    *cluster.RULES,
    *identity.RULES,
    *audit.RULES,
    *teams.RULES,
    *budgets.RULES,
    *workbench.RULES,
    *storage.RULES,
    *packages.RULES,
    *curation.RULES,
    *governance.RULES,
    *works_crosscut.RULES,
    *works_cluster.RULES,
    *works_network.RULES,
    *works_tls.RULES,
    *works_ingress.RULES,
    *works_ci.RULES,
    *works_packages.RULES,
    *works_sessions.RULES,
    *works_images.RULES,
)

_ids = [rule.id for rule in RULES]
if len(set(_ids)) != len(_ids):  # pragma: no cover - a programming error caught at import
    raise RuntimeError(f"duplicate rule ids: {sorted({i for i in _ids if _ids.count(i) > 1})}")

BY_ID = {rule.id: rule for rule in RULES}
