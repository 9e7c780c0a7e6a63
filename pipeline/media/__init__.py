"""Looking at clip bytes: container sniffing, probing and poster frames."""
