"""The running daemon: scheduler, health endpoint and logs."""
