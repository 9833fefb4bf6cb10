"""``python -m subgraphs.users``."""

from subgraphs.common.runner import run_service

from .app import create_app

if __name__ == "__main__":
    run_service("users", create_app, default_port=4001)
