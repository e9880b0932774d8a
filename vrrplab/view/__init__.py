"""What a person watches while a lab runs: the routers' status, the live view, plain lines."""
