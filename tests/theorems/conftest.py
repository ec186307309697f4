"""Shared set-up of the theorem tests."""

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # tiny problems: a second thread only adds synchronisation (and stalls on a busy machine)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
