"""``python -m subgraphs.payments``."""

from subgraphs.common.runner import run_service

from .app import create_app

if __name__ == "__main__":
    run_service("payments", create_app, default_port=4004)
