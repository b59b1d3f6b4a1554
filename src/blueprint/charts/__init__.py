"""Helm charts the program installs, vendored whole, with what the package knows about them (shared data).

Any layer may read this package: it holds no Pulumi, no typer and no component logic, only the chart files,
their defaults and schema, the Helm-like merge and the real Helm engine's rendering (see `z2jh`).
"""
