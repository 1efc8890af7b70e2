"""Fleet nodes: robots, coordinator and gossip peers over a transport Bus."""
