"""The docker backend keeps the scheduler contract (:mod:`tests.scheduler_contract`)."""

import pytest
import requests

from controller.scheduler.docker import DockerScheduler
from tests.scheduler_contract import SchedulerContract


class TestDockerContract(SchedulerContract):
    @pytest.fixture
    def scheduler(self):
        return DockerScheduler()

    @pytest.fixture
    def image(self, base_image):
        return base_image

    @pytest.fixture
    def answers(self):
        def answers(address: str, port: int) -> bool:
            try:
                return requests.get(f"http://{address}:{port}/", timeout=1).status_code == 200
            except requests.RequestException:
                return False
        return answers
