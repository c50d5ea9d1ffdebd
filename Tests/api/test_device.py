# SPDX-License-Identifier: Apache-2.0
"""--device on a machine without a GPU: a GPU asked for is a clear startup error (exit code != 0, the fix named);
auto falls back to the CPU and says why. With the real .build/gpu/libferry_cuda.so (scripts/build-gpu-kernels.sh),
the library loads and the CUDA runtime inside it reports that there is no driver or device."""
import os
import subprocess
import tempfile

import pytest

from conftest import FERRY, ROOT, Server, free_port, needs_shared, shared

GPU_LIBRARIES = ROOT / ".build" / "gpu"
# These tests describe a machine without a GPU (CI); on a GPU machine the libraries would find their device.
HAS_GPU = os.path.exists("/dev/nvidia0") or os.path.exists("/dev/kfd")
no_gpu_here = pytest.mark.skipif(HAS_GPU, reason="this machine has a GPU device node")
STORIES = str(shared("models/stories260K"))


def run_serve(*args: str, kernels_path: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FERRY_KERNELS_PATH": kernels_path}
    return subprocess.run([str(FERRY), "serve", STORIES, "--host", "127.0.0.1", "--port", str(free_port()), *args],
                          env=env, capture_output=True, text=True, timeout=60)


@needs_shared
@pytest.mark.parametrize("device", ["cuda", "hip"])
def test_a_gpu_without_its_library_is_a_clear_startup_error(device):
    with tempfile.TemporaryDirectory() as empty:
        result = run_serve("--device", device, kernels_path=empty)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"no libferry_{device}.so found" in output
    assert "scripts/build-gpu-kernels.sh" in output and "--device cpu" in output


@needs_shared
@no_gpu_here
@pytest.mark.skipif(not (GPU_LIBRARIES / "libferry_cuda.so").exists(),
                    reason="no .build/gpu/libferry_cuda.so (run scripts/build-gpu-kernels.sh cuda)")
def test_the_real_cuda_library_without_a_gpu_says_there_is_no_device():
    result = run_serve("--device", "cuda", kernels_path=str(GPU_LIBRARIES))
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "no usable cuda device" in output
    assert "--device cpu" in output


@needs_shared
@no_gpu_here
def test_auto_falls_back_to_the_cpu_and_logs_why():
    server = Server(STORIES, "--device", "auto", env={"FERRY_KERNELS_PATH": str(GPU_LIBRARIES)})
    try:
        output = server.output()
        assert "backend=cpu" in output
        assert "no GPU usable" in output
    finally:
        server.stop()
