"""Several nodes, one service: session leases in Redis, the multi-node checks, draining."""
