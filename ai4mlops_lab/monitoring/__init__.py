"""Monitoring: turn logged inference requests into rows, test windows of them against the training reference
(per-feature tests, PSI, MMD), keep the window history, raise alerts and retrain. Module map: README "Layout"."""
