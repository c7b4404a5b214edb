"""Following a request: subscribe, confirm, unsubscribe, push key, "was it fixed?"."""
