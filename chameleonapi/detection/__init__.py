"""Object detection served locally: Google `object_localization`, Azure `detect_objects`.

A CenterNet-like head on the frozen ImageNet trunk, trained on built-in animal scenes
with exact boxes, and customized to an application's object decisions with the paper's
per-location decision loss. Importing this package loads nothing (`policy` is what the
providers need on every call); `heads` and `detector` load torch on first use.
"""
