"""Detection vocabulary shared by the pipeline (which detects), the catalog (which stores the
results) and the web UI and CLI (which switch it on and show it): labels, boxes, result types."""
