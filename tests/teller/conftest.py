import pytest

from tests.stack import SimulatorServer, build_stack


@pytest.fixture(scope="module")
def server():
    running = SimulatorServer()
    yield running
    running.stop()


@pytest.fixture
def stack(server, tmp_path):
    simulator = server.fresh(tmp_path / "ledger.sqlite3")
    built = build_stack(tmp_path, server.handle.url, simulator)
    yield built
    built.client.close()
    built.journal.close()
    simulator.close()
