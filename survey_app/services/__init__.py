"""Use cases. Each public function takes keyword arguments, owns its commit and writes its audit event."""
