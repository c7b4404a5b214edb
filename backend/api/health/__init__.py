"""GET /healthz (the process answers) and GET /readyz (it can reach its database and storage)."""
