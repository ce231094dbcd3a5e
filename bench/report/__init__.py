"""Reports: HTML span highlights and the console summary."""
