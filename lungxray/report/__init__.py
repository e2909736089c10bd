"""PDF reports (reportlab platypus, matplotlib figures; see layout.py for why), the terminal summary after a run,
and Grad-CAM maps."""
