"""Pulumi CrossGuard policy pack: the stance and works rules of ../blueprint.yaml, the same ones `blueprint check` runs offline.

Used by `pulumi preview --policy-pack policy`. This file is fixed code: the rules read
blueprint.yaml (and teams/*.yaml) when the pack starts; stance rules guarding a floor control
are mandatory, works rules are mandatory when the stance says so (stability.works_rules),
the others advisory. Works rules over the helm-rendered chart run in `blueprint check` only.
"""

from pathlib import Path

from pulumi_policy import PolicyPack

from blueprint.model import load_blueprint
from blueprint.policy.pack import PACK_NAME, policies

spec = load_blueprint(Path(__file__).resolve().parent.parent)
PolicyPack(name=PACK_NAME, policies=policies(spec))
