"""EV Ledger: charging sessions, trips, cost and efficiency for any electric vehicle."""
